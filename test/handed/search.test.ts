import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  api = await createTestApp();
});

function ids(bundle: any): string[] {
  return (bundle.entry ?? []).filter((entry: any) => entry.search?.mode === "match").map((entry: any) => entry.resource.id).sort();
}

describe("search behaviour cases", () => {
  it("date le matches Timing with only an end", async () => {
    const request = await api.createResource({
      resourceType: "ServiceRequest",
      status: "active",
      intent: "order",
      subject: { display: "Probe Subject" },
      occurrenceTiming: { repeat: { boundsPeriod: { end: "2031-05-20T10:00:00Z" } } },
    } as any);
    const encounter = await api.createResource({
      resourceType: "Encounter",
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
      period: { end: "2031-05-20T10:00:00Z" },
    } as any);

    expect(ids((await api.fhir("GET", `/ServiceRequest?_id=${request.id}&occurrence=le2030`)).json)).toEqual([request.id]);
    expect(ids((await api.fhir("GET", `/Encounter?_id=${encounter.id}&date=le2030`)).json)).toEqual([encounter.id]);
    expect(ids((await api.fhir("GET", `/ServiceRequest?_id=${request.id}&occurrence=gt2032`)).json)).toEqual([]);
  });

  it("token system| matches any code of the system", async () => {
    const patient = await api.createResource({ resourceType: "Patient" });
    const condition = (system: string) => ({
      resourceType: "Condition",
      subject: { reference: `Patient/${patient.id}` },
      code: { coding: [{ system, code: "K-7" }] },
    });
    const alpha = await api.createResource(condition("http://example.org/cs/alpha") as any);
    const beta = await api.createResource(condition("http://example.org/cs/beta") as any);

    const subject = `subject=Patient/${patient.id}`;
    expect(ids((await api.fhir("GET", `/Condition?${subject}&code=http://example.org/cs/alpha|`)).json)).toEqual([alpha.id]);
    expect(ids((await api.fhir("GET", `/Condition?${subject}&code=http://example.org/cs/alpha%7C`)).json)).toEqual([alpha.id]);
    expect(ids((await api.fhir("GET", `/Condition?${subject}&code=K-7`)).json)).toEqual([alpha.id, beta.id].sort());
    expect(ids((await api.fhir("GET", `/Condition?${subject}&code=http://example.org/cs/beta|K-7`)).json)).toEqual([beta.id]);
  });

  it("token |code matches only codes without system", async () => {
    const patient = await api.createResource({ resourceType: "Patient" });
    const observation = (coding: object) => ({ resourceType: "Observation", status: "final", subject: { reference: `Patient/${patient.id}` }, code: { coding: [coding] } });
    const bare = await api.createResource(observation({ code: "LOCAL-5" }) as any);
    const alpha = await api.createResource(observation({ system: "http://example.org/cs/alpha", code: "LOCAL-5" }) as any);

    expect(ids((await api.fhir("GET", `/Observation?subject=Patient/${patient.id}&code=|LOCAL-5`)).json)).toEqual([bare.id]);
    expect(ids((await api.fhir("GET", `/Observation?subject=Patient/${patient.id}&code=LOCAL-5`)).json)).toEqual([bare.id, alpha.id].sort());
  });

  it("string search ignores case and accents", async () => {
    const patient = await api.createResource({ resourceType: "Patient", name: [{ family: "Köhlerprobe", given: ["Änne"] }] });
    const found = async (query: string) => ids((await api.fhir("GET", `/Patient?${query}`)).json).includes(patient.id);

    expect(await found("family=kohler")).toBe(true);
    expect(await found(`family=${encodeURIComponent("KÖHLER")}`)).toBe(true);
    expect(await found("given=anne")).toBe(true);
    expect(await found(`family:exact=${encodeURIComponent("Köhlerprobe")}`)).toBe(true);
    expect(await found("family:exact=Kohlerprobe")).toBe(false);
    expect(await found("family:contains=hlerpro")).toBe(true);
  });

  it("name search skips the HumanName use code", async () => {
    const patient = await api.createResource({ resourceType: "Patient", name: [{ use: "maiden", family: "Quillonprobe" }] } as any);
    expect(ids((await api.fhir("GET", `/Patient?_id=${patient.id}&name=maiden`)).json)).toEqual([]);
    expect(ids((await api.fhir("GET", `/Patient?_id=${patient.id}&name=quillon`)).json)).toEqual([patient.id]);
  });

  it("chained missing selects by the referenced resource", async () => {
    const code = `urn:example:cs|MISS-${crypto.randomUUID().slice(0, 6)}`;
    const [system, value] = code.split("|") as [string, string];
    const withGender = await api.createResource({ resourceType: "Patient", gender: "female" });
    const withoutGender = await api.createResource({ resourceType: "Patient" });
    const observation = (patient: string) => ({ resourceType: "Observation", status: "final", code: { coding: [{ system, code: value }] }, subject: { reference: `Patient/${patient}` } });
    const first = await api.createResource(observation(withGender.id) as any);
    const second = await api.createResource(observation(withoutGender.id) as any);

    const strict = { headers: { prefer: "handling=strict" } };
    const missing = await api.fhir("GET", `/Observation?code=${code}&subject:Patient.gender:missing=true`, strict);
    expect(missing.status).toBe(200);
    expect(ids(missing.json)).toEqual([second.id]);
    const present = await api.fhir("GET", `/Observation?code=${code}&subject:Patient.gender:missing=false`, strict);
    expect(ids(present.json)).toEqual([first.id]);
    const patients = await api.fhir("GET", `/Patient?_id=${withGender.id},${withoutGender.id}&gender:missing=true`, strict);
    expect(ids(patients.json)).toEqual([withoutGender.id]);
  });

  it("reverse chaining with _has", async () => {
    const marker = `HAS-${crypto.randomUUID().slice(0, 6)}`;
    const patient = await api.createResource({ resourceType: "Patient" });
    await api.createResource({ resourceType: "Patient" });
    await api.createResource({ resourceType: "Observation", status: "final", code: { coding: [{ system: "urn:example:cs", code: marker }] }, subject: { reference: `Patient/${patient.id}` } } as any);
    const result = await api.fhir("GET", `/Patient?_has:Observation:subject:code=urn:example:cs|${marker}`, { headers: { prefer: "handling=strict" } });
    expect(result.status).toBe(200);
    expect(ids(result.json)).toEqual([patient.id]);
  });

  it("unknown parameter is reported, not applied", async () => {
    await api.createResource({ resourceType: "Observation", status: "final", code: { text: "probe-29" } } as any);
    const plain = await api.fhir("GET", "/Observation?_count=5");
    const lenient = await api.fhir("GET", "/Observation?_count=5&zzzunknown=1");
    expect(lenient.status).toBe(200);
    expect(ids(lenient.json)).toEqual(ids(plain.json));
    expect(lenient.json.link[0].url).not.toContain("zzzunknown");
    const outcome = lenient.json.entry.find((entry: any) => entry.search?.mode === "outcome");
    expect(outcome.resource.issue[0].diagnostics).toContain("zzzunknown");

    const strict = await api.fhir("GET", "/Observation?_count=5&zzzunknown=1", { headers: { prefer: "handling=strict" } });
    expect(strict.status).toBe(400);
    expect(strict.json.resourceType).toBe("OperationOutcome");
    expect(strict.json.issue[0].diagnostics).toContain("zzzunknown");
    const invalid = await api.fhir("GET", "/Observation?date=not-a-date");
    expect(invalid.status).toBe(400);
    expect(invalid.json.resourceType).toBe("OperationOutcome");
    expect(invalid.json.issue[0].diagnostics).toContain("not-a-date");
  });
});

describe("sort behaviour cases", () => {
  it("sort keeps resources without the value", async () => {
    const family = `Sortprobe${crypto.randomUUID().slice(0, 6)}`;
    const male = await api.createResource({ resourceType: "Patient", gender: "male", name: [{ family }] } as any);
    const female = await api.createResource({ resourceType: "Patient", gender: "female", name: [{ family }] } as any);
    const none = await api.createResource({ resourceType: "Patient", name: [{ family }] } as any);
    const order = async (sort: string) => {
      const result = await api.fhir("GET", `/Patient?family=${family}&_sort=${sort}`, { headers: { prefer: "handling=strict" } });
      expect(result.status).toBe(200);
      return result.json.entry.map((entry: any) => entry.resource.id);
    };

    expect(await order("gender")).toEqual([female.id, male.id, none.id]);
    expect(await order("-gender")).toEqual([male.id, female.id, none.id]);
    expect((await order("birthdate")).sort()).toEqual([male.id, female.id, none.id].sort());

    // Sorting is not a criterion: the total is the same with and without it.
    const total = async (query: string) => (await api.fhir("GET", `/Patient?family=${family}&_total=accurate${query}`)).json.total;
    expect(await total("")).toBe(3);
    expect(await total("&_sort=gender")).toBe(3);
    expect(await total("&_sort=-birthdate")).toBe(3);
  });

  it("paging sorted ties neither repeats nor skips", async () => {
    const family = `Tieprobe${crypto.randomUUID().slice(0, 6)}`;
    const created = [];
    for (let index = 0; index < 3; index++) created.push((await api.createResource({ resourceType: "Patient", birthDate: "1990-07-07", name: [{ family }] } as any)).id);

    for (const [sort, count] of [["birthdate", 2], ["-birthdate", 1]] as const) {
      const seen: string[] = [];
      let url: string | undefined = `/Patient?family=${family}&_sort=${sort}&_count=${count}`;
      while (url !== undefined) {
        const page: any = await api.fhir("GET", url);
        expect(page.status).toBe(200);
        seen.push(...page.json.entry.filter((entry: any) => entry.search?.mode === "match").map((entry: any) => entry.resource.id));
        const next = page.json.link.find((link: any) => link.relation === "next");
        url = next === undefined ? undefined : next.url.replace("http://flint.test/fhir", "");
      }
      expect(seen.sort()).toEqual([...created].sort());
    }
  });
});

describe("include behaviour cases", () => {
  it("include pages carry their own includes", async () => {
    const batch = `BATCH-${crypto.randomUUID().slice(0, 6)}`;
    const doctor = await api.createResource({ resourceType: "Practitioner", name: [{ family: "Includeprobe" }] } as any);
    const patients: string[] = [];
    const appointments: string[] = [];
    for (let index = 0; index < 3; index++) {
      const patient = await api.createResource({ resourceType: "Patient", name: [{ family: `Apptprobe${index}` }] } as any);
      patients.push(patient.id);
      const appointment = await api.createResource({
        resourceType: "Appointment",
        status: "booked",
        start: "2030-06-01T09:00:00Z",
        end: "2030-06-01T09:30:00Z",
        identifier: [{ system: "urn:example:appt", value: batch }],
        participant: [
          { actor: { reference: `Patient/${patient.id}` }, status: "accepted" },
          { actor: { reference: `Practitioner/${doctor.id}` }, status: "accepted" },
        ],
      } as any);
      appointments.push(appointment.id);
    }

    const first = await api.fhir("GET", `/Appointment?identifier=urn:example:appt|${batch}&_include=Appointment:patient&_count=2`);
    expect(first.status).toBe(200);
    const mode = (bundle: any, searchMode: string) => bundle.entry.filter((entry: any) => entry.search.mode === searchMode).map((entry: any) => entry.resource);
    const firstMatches = mode(first.json, "match");
    const firstIncludes = mode(first.json, "include");
    expect(firstMatches).toHaveLength(2);
    expect(firstIncludes.map((resource: any) => resource.resourceType)).toEqual(["Patient", "Patient"]);
    const referenced = firstMatches.map((appointment: any) => appointment.participant[0].actor.reference.split("/")[1]).sort();
    expect(firstIncludes.map((resource: any) => resource.id).sort()).toEqual(referenced);

    const next = first.json.link.find((link: any) => link.relation === "next");
    const second = await api.fhir("GET", next.url.replace("http://flint.test/fhir", ""));
    const secondMatches = mode(second.json, "match");
    expect(secondMatches).toHaveLength(1);
    expect(mode(second.json, "include").map((resource: any) => resource.resourceType)).toEqual(["Patient"]);
    expect(mode(second.json, "include")[0].id).toBe(secondMatches[0].participant[0].actor.reference.split("/")[1]);
    expect(second.json.link.find((link: any) => link.relation === "next")).toBeUndefined();

    const counted = await api.fhir("GET", `/Appointment?identifier=urn:example:appt|${batch}&_include=Appointment:patient&_count=2&_total=accurate`);
    expect(counted.json.total).toBe(3);
  });

  it("include on no matches is an empty searchset", async () => {
    for (const query of ["_include=Observation:subject", "_revinclude=Provenance:target"]) {
      const result = await api.fhir("GET", `/Observation?code=urn:example:cs|NOTHING-MATCHES-${crypto.randomUUID()}&${query}`);
      expect(result.status, query).toBe(200);
      expect(result.json.type).toBe("searchset");
      // FHIR JSON forbids empty arrays, so the Bundle has no entry element at all.
      expect(result.json).not.toHaveProperty("entry");
    }
  });

  it("revinclude finds referring resources", async () => {
    const patient = await api.createResource({ resourceType: "Patient", name: [{ family: "Revprobe" }] } as any);
    const observation = await api.createResource({ resourceType: "Observation", status: "final", code: { text: "rev" }, subject: { reference: `Patient/${patient.id}` } } as any);
    const result = await api.fhir("GET", `/Patient?_id=${patient.id}&_revinclude=Observation:subject`);
    const included = result.json.entry.filter((entry: any) => entry.search.mode === "include").map((entry: any) => entry.resource.id);
    expect(included).toEqual([observation.id]);
  });
});
