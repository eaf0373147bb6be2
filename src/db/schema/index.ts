export * from "./identity";
export * from "./inventory";
export * from "./platform";
