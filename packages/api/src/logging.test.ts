import { afterEach, describe, expect, it, vi } from "vitest";
import { createBufferedJsonLogger } from "./logging.ts";

const now = () => new Date("2026-12-05T00:00:00.000Z");

describe("createBufferedJsonLogger", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it("joins one turn's info lines", () => {
    vi.useFakeTimers();
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const logger = createBufferedJsonLogger({ now });

    logger.info({ n: 1 });
    logger.info({ n: 2 });
    expect(log).not.toHaveBeenCalled();

    vi.runAllTimers();
    expect(log).toHaveBeenCalledTimes(1);
    const lines = String(log.mock.calls[0]![0]).split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      { level: "info", time: "2026-12-05T00:00:00.000Z", n: 1 },
      { level: "info", time: "2026-12-05T00:00:00.000Z", n: 2 },
    ]);

    logger.info({ n: 3 });
    vi.runAllTimers();
    expect(log).toHaveBeenCalledTimes(2);
  });

  it("writes pending lines before errors", () => {
    vi.useFakeTimers();
    const written: string[] = [];
    vi.spyOn(console, "log").mockImplementation((text: string) => void written.push(`out ${text}`));
    vi.spyOn(console, "error").mockImplementation((text: string) => void written.push(`err ${text}`));
    const logger = createBufferedJsonLogger({ now });

    logger.info({ n: 1 });
    logger.error({ n: 2 });
    vi.runAllTimers();

    expect(written).toEqual([
      'out {"level":"info","time":"2026-12-05T00:00:00.000Z","n":1}',
      'err {"level":"error","time":"2026-12-05T00:00:00.000Z","n":2}',
    ]);
  });

  it("writes pending lines on flush", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const logger = createBufferedJsonLogger({ now });

    logger.info({ event: "stopped" });
    logger.flush();
    logger.flush();

    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0]![0])).toContain('"event":"stopped"');
  });
});
