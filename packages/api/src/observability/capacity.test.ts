import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createCapacityMeter } from "./capacity.ts";

describe("createCapacityMeter", () => {
  it("adds up the calls of one request", async () => {
    const meter = createCapacityMeter();

    const usage = await meter.measure(async () => {
      meter.add({ readCapacityUnits: 0.5, writeCapacityUnits: 0 });
      await sleep(1);
      meter.add({ readCapacityUnits: 1, writeCapacityUnits: 3 });
    });

    expect(usage).toEqual({ dynamoDbCalls: 2, readCapacityUnits: 1.5, writeCapacityUnits: 3 });
  });

  it("keeps concurrent requests apart", async () => {
    const meter = createCapacityMeter();
    const request = (units: number, delay: number) =>
      meter.measure(async () => {
        await sleep(delay);
        meter.add({ readCapacityUnits: units, writeCapacityUnits: 0 });
        await sleep(delay);
        meter.add({ readCapacityUnits: units, writeCapacityUnits: 0 });
      });

    const [first, second] = await Promise.all([request(1, 5), request(10, 2)]);

    expect(first.readCapacityUnits).toBe(2);
    expect(second.readCapacityUnits).toBe(20);
  });

  it("ignores calls outside a request", async () => {
    const meter = createCapacityMeter();
    meter.add({ readCapacityUnits: 5, writeCapacityUnits: 5 });

    const usage = await meter.measure(async () => {});

    expect(usage).toEqual({ dynamoDbCalls: 0, readCapacityUnits: 0, writeCapacityUnits: 0 });
  });
});
