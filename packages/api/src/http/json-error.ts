/**
 * Checks JSON text before `JSON.parse` reads it, so a request body gets one clear error with its
 * place instead of a silent misreading.
 *
 * Beyond RFC 8259 syntax it rejects what the grammar allows but FHIR JSON cannot mean:
 * - a name that appears twice in one object. RFC 8259 section 4 leaves the result to the parser,
 *   and `JSON.parse` keeps the last value, so a client and Flint could read different resources.
 *   FHIR JSON (R4 json.html) maps each element to exactly one property of its object;
 * - escapes that leave an unpaired UTF-16 surrogate (RFC 8259 section 8.2), which no UTF-8
 *   store or client can read back;
 * - nesting deeper than MAX_JSON_DEPTH.
 *
 * The scanner keeps its containers on an explicit stack and recurses at most MAX_JSON_DEPTH calls
 * deep, so no input can exhaust the call stack.
 */

/** One problem in JSON text: where it is, what was expected there, and the path of the value. */
export interface JsonProblem {
  /** Index into the text (UTF-16 code units). */
  offset: number;
  /** Expected content at the offset, such as `":"` or `a JSON value`. */
  expected: string;
  /** Object keys and array indexes from the root to the value at fault. */
  path: (string | number)[];
  /** Set when the problem is a repeated object key rather than a syntax error. */
  duplicateKey?: string;
  /** Set when the problem is an unpaired surrogate escape rather than a syntax error. */
  unpairedSurrogate?: boolean;
}

/**
 * Nesting depth of arrays and objects past which the text is rejected. The validator checks at
 * most 64 levels of JSON objects (`MAX_DEPTH` in `@flint/core`), which needs at most 128 levels
 * of arrays and objects, so 256 leaves room for a Bundle around the deepest resource it accepts.
 */
export const MAX_JSON_DEPTH = 256;

type Frame = { kind: "object"; keys: Set<string>; key: string } | { kind: "array"; index: number };

class ScanError extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
    readonly unpairedSurrogate = false,
  ) {
    super(expected);
  }
}

/** Returns the first problem in JSON text, or undefined when the text is one valid JSON value. */
export function findJsonProblem(text: string): JsonProblem | undefined {
  const scanner = new Scanner(text);
  try {
    return scanner.run();
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    const problem: JsonProblem = { offset: error.offset, expected: error.expected, path: scanner.path() };
    if (error.unpairedSurrogate) problem.unpairedSurrogate = true;
    return problem;
  }
}

class Scanner {
  private offset = 0;
  private readonly stack: Frame[] = [];
  /** True while reading a key, when the innermost object has no current member yet. */
  private readingKey = false;

  constructor(private readonly text: string) {}

  path(): (string | number)[] {
    const frames = this.readingKey ? this.stack.slice(0, -1) : this.stack;
    return frames.map((frame) => (frame.kind === "object" ? frame.key : frame.index));
  }

  run(): JsonProblem | undefined {
    this.skipSpace();
    for (;;) {
      const duplicate = this.value();
      if (duplicate !== undefined) return duplicate;
      const done = this.closeContainers();
      if (done) return undefined;
      const nextDuplicate = this.nextMember();
      if (nextDuplicate !== undefined) return nextDuplicate;
    }
  }

  /**
   * Reads the value at the offset. A non-empty object or array is entered, not read whole: its
   * frame goes on the stack and its first member is read, so the recursion is at most
   * MAX_JSON_DEPTH calls deep.
   */
  private value(): JsonProblem | undefined {
    const char = this.text[this.offset];
    if (char === "{" || char === "[") {
      if (this.stack.length >= MAX_JSON_DEPTH) throw new ScanError(this.offset, `at most ${MAX_JSON_DEPTH} levels of nested arrays and objects`);
      const close = char === "{" ? "}" : "]";
      this.offset++;
      this.skipSpace();
      if (this.text[this.offset] === close) {
        this.offset++;
        return undefined;
      }
      if (char === "[") {
        this.stack.push({ kind: "array", index: 0 });
        return this.value();
      }
      const frame: Frame = { kind: "object", keys: new Set(), key: "" };
      this.stack.push(frame);
      return this.member(frame) ?? this.value();
    }
    if (char === '"') {
      this.string();
      return undefined;
    }
    if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) {
      this.number();
      return undefined;
    }
    for (const literal of ["true", "false", "null"]) {
      if (this.text.startsWith(literal, this.offset)) {
        this.offset += literal.length;
        return undefined;
      }
    }
    throw new ScanError(this.offset, "a JSON value");
  }

  /** Reads `"key":` of an object member and positions the offset at its value. */
  private member(frame: Frame & { kind: "object" }): JsonProblem | undefined {
    if (this.text[this.offset] !== '"') throw new ScanError(this.offset, "a property name in double quotes");
    const start = this.offset;
    this.readingKey = true;
    this.string();
    this.readingKey = false;
    const raw = this.text.slice(start + 1, this.offset - 1);
    const key = raw.includes("\\") ? (JSON.parse(this.text.slice(start, this.offset)) as string) : raw;
    frame.key = key;
    if (frame.keys.has(key)) return { offset: start, expected: "a property name not used before in this object", path: this.path(), duplicateKey: key };
    frame.keys.add(key);
    this.skipSpace();
    this.expect(":");
    this.skipSpace();
    return undefined;
  }

  /** After a value: closes the containers that end here. Returns true at the end of the text. */
  private closeContainers(): boolean {
    for (;;) {
      this.skipSpace();
      const frame = this.stack.at(-1);
      if (frame === undefined) {
        if (this.offset < this.text.length) throw new ScanError(this.offset, "end of input");
        return true;
      }
      const char = this.text[this.offset];
      if (char === ",") return false;
      const close = frame.kind === "object" ? "}" : "]";
      if (char !== close) throw new ScanError(this.offset, `"," or "${close}"`);
      this.offset++;
      this.stack.pop();
    }
  }

  /** Reads the `,` between members and moves to the next key or element. */
  private nextMember(): JsonProblem | undefined {
    this.offset++;
    this.skipSpace();
    const frame = this.stack.at(-1)!;
    if (frame.kind === "array") {
      frame.index++;
      return undefined;
    }
    return this.member(frame);
  }

  private skipSpace(): void {
    while (this.offset < this.text.length) {
      const code = this.text.charCodeAt(this.offset);
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return;
      this.offset++;
    }
  }

  /** Reads a string, checking escapes, control characters and surrogate pairs. */
  private string(): void {
    this.offset++;
    // Offset of a high surrogate still waiting for its low half, or -1.
    let pendingHigh = -1;
    while (this.offset < this.text.length) {
      const start = this.offset;
      let unit = this.text.charCodeAt(this.offset);
      if (unit === 0x22) {
        if (pendingHigh >= 0) throw surrogateError(pendingHigh);
        this.offset++;
        return;
      }
      if (unit < 0x20) throw new ScanError(this.offset, "no control characters inside a string (escape them)");
      if (unit === 0x5c) {
        unit = this.escape();
      } else {
        this.offset++;
      }
      const isHigh = unit >= 0xd800 && unit <= 0xdbff;
      const isLow = unit >= 0xdc00 && unit <= 0xdfff;
      if (pendingHigh >= 0 && !isLow) throw surrogateError(pendingHigh);
      if (pendingHigh < 0 && isLow) throw surrogateError(start);
      pendingHigh = isHigh ? start : -1;
    }
    throw new ScanError(this.offset, "a closing double quote");
  }

  /** Reads the escape sequence at the offset and returns the UTF-16 code unit it stands for. */
  private escape(): number {
    const escape = this.text[this.offset + 1];
    if (escape === "u") {
      const hex = this.text.slice(this.offset + 2, this.offset + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ScanError(this.offset, "four hex digits after \\u");
      this.offset += 6;
      return Number.parseInt(hex, 16);
    }
    if (escape === undefined || !'"\\/bfnrt'.includes(escape)) throw new ScanError(this.offset, "a valid escape sequence");
    this.offset += 2;
    // Any code unit outside the surrogate range does for the pairing check.
    return 0x20;
  }

  private number(): void {
    const start = this.offset;
    if (this.text[this.offset] === "-") this.offset++;
    if (this.text[this.offset] === "0") this.offset++;
    else if (!this.digits()) throw new ScanError(start, "a number");
    if (this.text[this.offset] === ".") {
      this.offset++;
      if (!this.digits()) throw new ScanError(this.offset, "a digit after the decimal point");
    }
    const exponent = this.text[this.offset];
    if (exponent === "e" || exponent === "E") {
      this.offset++;
      const sign = this.text[this.offset];
      if (sign === "+" || sign === "-") this.offset++;
      if (!this.digits()) throw new ScanError(this.offset, "a digit in the exponent");
    }
  }

  /** Skips decimal digits; returns false when there was none. */
  private digits(): boolean {
    const start = this.offset;
    while (this.offset < this.text.length) {
      const code = this.text.charCodeAt(this.offset);
      if (code < 0x30 || code > 0x39) break;
      this.offset++;
    }
    return this.offset > start;
  }

  private expect(char: string): void {
    if (this.text[this.offset] !== char) throw new ScanError(this.offset, `"${char}"`);
    this.offset++;
  }
}

function surrogateError(offset: number): ScanError {
  return new ScanError(offset, "no unpaired surrogate escape such as \\ud800 (send the character as UTF-8)", true);
}
