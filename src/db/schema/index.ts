export * from "./equipment";
export * from "./identity";
export * from "./parts";
export * from "./platform";
export * from "./production";
