export * from "./identity";
export * from "./parts";
export * from "./platform";
