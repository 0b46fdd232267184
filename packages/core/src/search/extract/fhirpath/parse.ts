/**
 * Parser for the subset of FHIRPath (http://hl7.org/fhirpath/N1) that the expressions of the R4
 * search parameters use. The subset has paths, `[n]` indexers, `%resource`, string and boolean
 * literals, the operators `|`, `=`, `!=`, `and`, `is` and `as`, and the functions `where`,
 * `exists`, `first`, `as`, `ofType`, `is` and `resolve() is T`. The parser rejects anything
 * else, so that an expression is never evaluated with a meaning it does not have.
 */

/** A node of a parsed expression. `focus` is the input of the expression or of a `where` criterion. */
export type FhirPathNode =
  | { kind: "focus" }
  | { kind: "resource" }
  | { kind: "literal"; value: string | boolean }
  | { kind: "typeName"; name: string }
  | { kind: "member"; source: FhirPathNode; name: string }
  | { kind: "index"; source: FhirPathNode; index: number }
  | { kind: "ofType"; source: FhirPathNode; type: string }
  | { kind: "is"; source: FhirPathNode; type: string }
  | { kind: "referenceIs"; source: FhirPathNode; type: string }
  | { kind: "where"; source: FhirPathNode; criteria: FhirPathNode }
  | { kind: "exists"; source: FhirPathNode }
  | { kind: "first"; source: FhirPathNode }
  | { kind: "union"; left: FhirPathNode; right: FhirPathNode }
  | { kind: "equals"; left: FhirPathNode; right: FhirPathNode; negated: boolean }
  | { kind: "and"; left: FhirPathNode; right: FhirPathNode };

type TokenKind = "identifier" | "string" | "number" | "symbol" | "constant" | "end";

interface Token {
  kind: TokenKind;
  text: string;
  position: number;
}

const SYMBOLS = ["!=", ".", "(", ")", "[", "]", "|", "="];

/** Escapes of FHIRPath string literals (N1 section 3.5.4, "String"). */
const STRING_ESCAPES: Readonly<Record<string, string>> = {
  "'": "'",
  '"': '"',
  "`": "`",
  "\\": "\\",
  "/": "/",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * Parses a FHIRPath expression of the supported subset.
 * Throws an error naming the expression and the position of the first unsupported or invalid
 * token.
 */
export function parseFhirPath(expression: string): FhirPathNode {
  const parser = new Parser(expression);
  return parser.parseAll();
}

class Parser {
  private readonly tokens: Token[];
  private next = 0;

  constructor(private readonly expression: string) {
    this.tokens = tokenize(expression);
  }

  parseAll(): FhirPathNode {
    const node = this.parseAnd();
    const token = this.peek();
    if (token.kind !== "end") throw this.error(token, `unsupported or unexpected "${token.text}"`);
    return node;
  }

  /** Parses `and`, which has the lowest precedence of the supported operators (N1 section 6.5, "Boolean logic"). */
  private parseAnd(): FhirPathNode {
    let left = this.parseEquality();
    while (this.peekIdentifier("and")) {
      this.advance();
      left = { kind: "and", left, right: this.parseEquality() };
    }
    return left;
  }

  private parseEquality(): FhirPathNode {
    let left = this.parseUnion();
    for (let token = this.peek(); token.kind === "symbol" && (token.text === "=" || token.text === "!="); token = this.peek()) {
      this.advance();
      left = { kind: "equals", left, right: this.parseUnion(), negated: token.text === "!=" };
    }
    return left;
  }

  private parseUnion(): FhirPathNode {
    let left = this.parseTypeOperation();
    while (this.peekSymbol("|")) {
      this.advance();
      left = { kind: "union", left, right: this.parseTypeOperation() };
    }
    return left;
  }

  /** Parses `X is T` and `X as T` (N1 section 6.3, "Types"). */
  private parseTypeOperation(): FhirPathNode {
    let source = this.parsePostfix();
    while (this.peekIdentifier("is") || this.peekIdentifier("as")) {
      const operator = this.advance().text;
      const type = this.parseTypeName();
      source = operator === "is" ? { kind: "is", source, type } : { kind: "ofType", source, type };
    }
    return source;
  }

  private parsePostfix(): FhirPathNode {
    let node = this.parseTerm();
    for (;;) {
      if (this.peekSymbol(".")) {
        this.advance();
        const name = this.expect("identifier", "an element or function name").text;
        node = this.peekSymbol("(") ? this.parseFunction(node, name) : { kind: "member", source: node, name };
      } else if (this.peekSymbol("[")) {
        this.advance();
        const index = Number(this.expect("number", "an integer index").text);
        this.expectSymbol("]");
        node = { kind: "index", source: node, index };
      } else {
        return node;
      }
    }
  }

  private parseTerm(): FhirPathNode {
    const token = this.advance();
    switch (token.kind) {
      case "string":
        return { kind: "literal", value: token.text };
      case "constant":
        if (token.text !== "resource") throw this.error(token, `unsupported environment variable %${token.text}`);
        return { kind: "resource" };
      case "identifier":
        return this.parseIdentifierTerm(token);
      case "symbol":
        if (token.text === "(") {
          const inner = this.parseAnd();
          this.expectSymbol(")");
          return inner;
        }
        break;
    }
    throw this.error(token, `unsupported or unexpected "${token.text}"`);
  }

  /**
   * Parses an identifier at the start of an expression or criterion. A FHIR type name
   * (capitalized, `Observation`) selects the focus when it has that type. An element name
   * (`code`) is a child of the focus (N1 section 4.1, "Paths and polymorphic items").
   */
  private parseIdentifierTerm(token: Token): FhirPathNode {
    if (token.text === "true" || token.text === "false") return { kind: "literal", value: token.text === "true" };
    const focus: FhirPathNode = { kind: "focus" };
    if (this.peekSymbol("(")) return this.parseFunction(focus, token.text);
    if (/^[A-Z]/.test(token.text)) return { kind: "typeName", name: token.text };
    return { kind: "member", source: focus, name: token.text };
  }

  /** Parses the arguments of a function invoked on `source`. The opening bracket is the next token. */
  private parseFunction(source: FhirPathNode, name: string): FhirPathNode {
    const open = this.expectSymbol("(");
    switch (name) {
      case "where": {
        const criteria = this.parseAnd();
        this.expectSymbol(")");
        return { kind: "where", source, criteria };
      }
      case "exists":
        this.expectSymbol(")");
        return { kind: "exists", source };
      case "first":
        this.expectSymbol(")");
        return { kind: "first", source };
      case "as":
      case "ofType": {
        const type = this.parseTypeName();
        this.expectSymbol(")");
        return { kind: "ofType", source, type };
      }
      case "is": {
        const type = this.parseTypeName();
        this.expectSymbol(")");
        return { kind: "is", source, type };
      }
      case "resolve":
        return this.parseResolveIs(source, open);
      default:
        throw this.error(open, `unsupported function ${name}()`);
    }
  }

  /**
   * Parses `resolve() is T`, which tests the type of the resource a Reference points to. Search reads
   * that type from the reference itself (R4 search.html#reference), so `resolve()` is supported
   * only in this form and never fetches anything.
   */
  private parseResolveIs(source: FhirPathNode, open: Token): FhirPathNode {
    this.expectSymbol(")");
    if (!this.peekIdentifier("is")) throw this.error(open, "resolve() is supported only in the form resolve() is T");
    this.advance();
    return { kind: "referenceIs", source, type: this.parseTypeName() };
  }

  /** Parses a type specifier, an unqualified FHIR type name such as `Quantity` or `dateTime`. */
  private parseTypeName(): string {
    const name = this.expect("identifier", "a type name").text;
    if (this.peekSymbol(".")) throw this.error(this.peek(), "qualified type names (FHIR.Quantity) are not supported");
    return name;
  }

  private peek(): Token {
    // The token list always ends with an "end" token, which is never consumed.
    return this.tokens[this.next] ?? this.tokens[this.tokens.length - 1]!;
  }

  private advance(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.next++;
    return token;
  }

  private peekSymbol(symbol: string): boolean {
    const token = this.peek();
    return token.kind === "symbol" && token.text === symbol;
  }

  private peekIdentifier(name: string): boolean {
    const token = this.peek();
    return token.kind === "identifier" && token.text === name;
  }

  private expect(kind: TokenKind, description: string): Token {
    const token = this.advance();
    if (token.kind !== kind) throw this.error(token, `expected ${description}, found "${token.text}"`);
    return token;
  }

  private expectSymbol(symbol: string): Token {
    const token = this.advance();
    if (token.kind !== "symbol" || token.text !== symbol) throw this.error(token, `expected "${symbol}", found "${token.text}"`);
    return token;
  }

  private error(token: Token, problem: string): Error {
    return new Error(`Invalid or unsupported FHIRPath expression "${this.expression}": ${problem} at position ${token.position}.`);
  }
}

/** Splits an expression into tokens, ending with an "end" token. */
function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < expression.length) {
    const space = /^\s+/.exec(expression.slice(position));
    if (space !== null) {
      position += space[0].length;
      continue;
    }
    const { token, end } = readToken(expression, position);
    tokens.push(token);
    position = end;
  }
  tokens.push({ kind: "end", text: "end of expression", position });
  return tokens;
}

/** Reads the token that starts at `position` and returns it with the position after it. */
function readToken(expression: string, position: number): { token: Token; end: number } {
  const rest = expression.slice(position);
  const identifier = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
  if (identifier !== null) return { token: { kind: "identifier", text: identifier[0], position }, end: position + identifier[0].length };

  const number = /^\d+(?![.\d])/.exec(rest);
  if (number !== null) return { token: { kind: "number", text: number[0], position }, end: position + number[0].length };

  const constant = /^%([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
  if (constant?.[1] !== undefined) return { token: { kind: "constant", text: constant[1], position }, end: position + constant[0].length };

  if (rest.startsWith("'")) return readString(expression, position);

  const symbol = SYMBOLS.find((candidate) => rest.startsWith(candidate));
  if (symbol !== undefined) return { token: { kind: "symbol", text: symbol, position }, end: position + symbol.length };

  throw new Error(`Invalid or unsupported FHIRPath expression "${expression}": unsupported "${rest[0]}" at position ${position}.`);
}

/** Reads the string literal that starts at `start`, with its escapes replaced. */
function readString(expression: string, start: number): { token: Token; end: number } {
  let value = "";
  for (let i = start + 1; i < expression.length; i++) {
    const char = expression[i]!;
    if (char === "'") return { token: { kind: "string", text: value, position: start }, end: i + 1 };
    if (char !== "\\") {
      value += char;
      continue;
    }
    const escaped = STRING_ESCAPES[expression[i + 1] ?? ""];
    if (escaped === undefined) throw new Error(`Invalid or unsupported FHIRPath expression "${expression}": unsupported escape in the string at position ${start}.`);
    value += escaped;
    i++;
  }
  throw new Error(`Invalid FHIRPath expression "${expression}": the string at position ${start} has no closing quote.`);
}
