export * from "./equipment";
export * from "./identity";
export * from "./inventory";
export * from "./onshape";
export * from "./parts";
export * from "./platform";
export * from "./production";
