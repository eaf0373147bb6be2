export * from "./equipment";
export * from "./identity";
export * from "./inventory";
export * from "./labels";
export * from "./magento";
export * from "./parts";
export * from "./platform";
export * from "./production";
