import { formatCount, formatElapsed, formatQuantity, formatRate } from "./format.ts";

/** Interval between redraws of the progress bar on a terminal, in milliseconds. */
export const TTY_REDRAW_MS = 200;

/** Interval between progress lines when stderr is not a terminal, in milliseconds. */
export const PLAIN_LINE_MS = 5000;

/** Width of the bar in characters, unless the terminal is too narrow for it and the counts. */
const BAR_WIDTH = 20;

/** Terminal width assumed when the terminal does not report one. */
const DEFAULT_COLUMNS = 80;

/** The part of a writable stream that the display uses; `process.stderr` fits. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

/** Counts shown by the progress display. */
export interface ProgressState {
  bundlesDone: number;
  bundlesTotal: number;
  entriesDone: number;
  entriesTotal: number;
  retries: number;
  elapsedMs: number;
}

/**
 * Progress of a load on stderr. On a terminal it is one line redrawn in place every
 * `TTY_REDRAW_MS`; otherwise it is one plain line every `PLAIN_LINE_MS` and one at the end.
 */
export class ProgressDisplay {
  readonly #stream: ProgressStream;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #state: Omit<ProgressState, "elapsedMs">;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: ProgressStream, totals: { bundles: number; entries: number }, now: () => number = Date.now) {
    this.#stream = stream;
    this.#now = now;
    this.#startedAt = now();
    this.#state = { bundlesDone: 0, bundlesTotal: totals.bundles, entriesDone: 0, entriesTotal: totals.entries, retries: 0 };
  }

  /** Starts the periodic redraw; the timer does not keep the process alive. */
  start(): void {
    const interval = this.#stream.isTTY === true ? TTY_REDRAW_MS : PLAIN_LINE_MS;
    this.#timer = setInterval(() => this.#draw(), interval);
    this.#timer.unref();
    if (this.#stream.isTTY === true) this.#draw();
  }

  /** Counts one finished bundle and its entries, whatever their outcome. */
  bundleDone(entryCount: number): void {
    this.#state.bundlesDone++;
    this.#state.entriesDone += entryCount;
  }

  /** Counts one request that is sent again. */
  retried(): void {
    this.#state.retries++;
  }

  /** Writes a line of its own, above the progress bar on a terminal. */
  log(line: string): void {
    if (this.#stream.isTTY === true) {
      this.#stream.write(`\r\x1b[K${line}\n`);
      this.#draw();
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  /** Stops the redraw and writes the final state, leaving the cursor on a new line. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#draw();
    if (this.#stream.isTTY === true) this.#stream.write("\n");
  }

  #draw(): void {
    const state: ProgressState = { ...this.#state, elapsedMs: this.#now() - this.#startedAt };
    if (this.#stream.isTTY === true) {
      const columns = this.#stream.columns !== undefined && this.#stream.columns > 0 ? this.#stream.columns : DEFAULT_COLUMNS;
      this.#stream.write(`\r${formatProgressBar(state, columns)}\x1b[K`);
    } else {
      this.#stream.write(`${formatProgressLine(state)}\n`);
    }
  }
}

/** Formats the one-line progress bar for a terminal `columns` wide; the line never wraps. */
export function formatProgressBar(state: ProgressState, columns: number): string {
  const text = ` ${formatCounts(state)}`;
  const barWidth = Math.max(10, Math.min(BAR_WIDTH, columns - 1 - text.length - 2));
  const fraction = state.entriesTotal === 0 ? state.bundlesDone / Math.max(state.bundlesTotal, 1) : state.entriesDone / state.entriesTotal;
  const filled = Math.round(Math.min(fraction, 1) * barWidth);
  const line = `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]${text}`;
  return line.slice(0, Math.max(columns - 1, 0));
}

/** Formats one plain progress line, for a log file or a pipe. */
export function formatProgressLine(state: ProgressState): string {
  return `Progress: ${formatCounts(state)}`;
}

function formatCounts(state: ProgressState): string {
  const parts = [
    `${formatCount(state.bundlesDone)}/${formatQuantity(state.bundlesTotal, "bundle", "bundles")}`,
    `${formatCount(state.entriesDone)}/${formatQuantity(state.entriesTotal, "entry", "entries")}`,
    `${formatRate(state.entriesDone, state.elapsedMs)} entries/s`,
    formatElapsed(state.elapsedMs),
  ];
  if (state.retries > 0) parts.push(formatQuantity(state.retries, "retry", "retries"));
  return parts.join(", ");
}
