import { describeConsumer } from "../consumer-test";
import worker from "./index";

// Runs in the test runtime beside the API worker; typechecked by this worker's own tsconfig.
describeConsumer("convert", worker, "floorline-convert");
