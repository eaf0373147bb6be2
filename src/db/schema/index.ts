export * from "./equipment";
export * from "./identity";
export * from "./inventory";
export * from "./parts";
export * from "./platform";
export * from "./production";
export * from "./reports";
