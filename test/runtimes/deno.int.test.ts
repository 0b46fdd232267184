import { describeRuntimeServer } from "./http-suite.ts";

describeRuntimeServer("deno");
