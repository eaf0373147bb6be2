export * from "./equipment";
export * from "./identity";
export * from "./platform";
export * from "./production";
