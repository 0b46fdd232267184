import { describe, expect, it } from "vitest";
import { encodeOrdered, shardOf } from "./encode.ts";
import { INDEX_SHARDS, searchIndexItems } from "./items.ts";

describe("encodeOrdered", () => {
  it("keeps numeric order as string order", () => {
    const numbers = [-1e300, -72500, -1.5, -0.0001, 0, 1e-9, 0.0054, 1, 72.5, 72500, 8.64e15, 1e300];
    const encoded = numbers.map(encodeOrdered);
    expect([...encoded].sort()).toEqual(encoded);
    expect(encoded.every((text) => /^[0-9a-f]{16}$/.test(text))).toBe(true);
  });

  it("encodes negative zero as zero", () => {
    expect(encodeOrdered(-0)).toBe(encodeOrdered(0));
  });
});

describe("searchIndexItems", () => {
  const values = new Map([
    ["status", [{ type: "token" as const, code: "final" }]],
    ["identifier", [{ type: "token" as const, system: "urn:mrn", code: "42" }]],
    ["_profile", [{ type: "uri" as const, value: "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient" }]],
    ["subject", [{ type: "reference" as const, reference: "Patient/p1", resourceType: "Patient" }]],
    ["date", [{ type: "date" as const, start: 0, end: 1_000 }]],
  ]);

  it("shards every key by the id except identifier keys", () => {
    const shard = shardOf("obs-1", INDEX_SHARDS);
    const keys = searchIndexItems("Observation", "obs-1", values).map((item) => item.key);
    expect(keys).toContain(`T#Observation#status#C#final#s${shard}`);
    expect(keys).toContain(`R#Observation#subject#Patient/p1#s${shard}`);
    expect(keys).toContain(`U#Observation#_profile#http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient#s${shard}`);
    expect(keys).toContain(`D#Observation#date#${shard}`);
    expect(keys).toContain("T#Observation#identifier#S#urn:mrn|42");
  });

  it("spreads a frequent value over every shard", () => {
    const shards = new Set<string>();
    for (let index = 0; index < 200; index++) {
      for (const item of searchIndexItems("Observation", `obs-${index}`, values)) {
        if (item.key.startsWith("T#Observation#status#C#final")) shards.add(item.key);
      }
    }
    expect(shards.size).toBe(INDEX_SHARDS);
  });

  it("writes an end item only for dates wider than a day", () => {
    const wide = new Map([["date", [{ type: "date" as const, start: 0, end: 2 * 86_400_000 }]]]);
    const narrow = new Map([["date", [{ type: "date" as const, start: 0, end: 86_400_000 }]]]);
    expect(searchIndexItems("Observation", "a", wide).map((item) => item.key[0])).toEqual(["D", "E"]);
    expect(searchIndexItems("Observation", "a", narrow).map((item) => item.key[0])).toEqual(["D"]);
  });
});
