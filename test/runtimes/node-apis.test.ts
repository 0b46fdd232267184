import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Flint's request path must run on Node, Deno, Bun and Lambda, so core, repository and api use
 * Web-standard APIs only. The stores may use the Node modules listed here, which Deno and Bun
 * implement. `Buffer` and `process` are globals on Deno 2.9 and Bun 1.4 too, so the stores may
 * use them.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Packages that must not use Node-only APIs outside the allow list. */
const WEB_PACKAGES = ["core", "repository", "api"];

/** Store packages, which may use the Node modules in STORE_NODE_MODULES. */
const STORE_PACKAGES = ["dynamodb", "postgres"];

/** Globals that only Node defines (Deno and Bun add some of them for compatibility). */
const NODE_GLOBALS = new Set(["Buffer", "process", "global", "require", "__dirname", "__filename", "setImmediate"]);

interface Allowance {
  /** Path from the repository root. */
  file: RegExp;
  /** A `node:` module or a global from NODE_GLOBALS. */
  api: string | RegExp;
  reason: string;
}

const WEB_PACKAGE_ALLOWANCES: Allowance[] = [
  { file: /\.test\.ts$/, api: /.*/, reason: "unit tests run under vitest on Node" },
  { file: /^packages\/core\/scripts\//, api: /.*/, reason: "build-time generators behind `npm run generate`, run by tsx on Node" },
  {
    file: /^packages\/repository\/src\/contract\.ts$/,
    api: "Buffer",
    reason: "the repository contract suite runs under vitest on Node and builds a binary attachment with Buffer",
  },
  {
    file: /^packages\/api\/src\/observability\/capacity\.ts$/,
    api: "node:async_hooks",
    reason: "AsyncLocalStorage, which Deno 2.9 and Bun 1.4 implement, keeps the DynamoDB capacity of each request",
  },
  {
    file: /^packages\/api\/src\/observability\/lambda\.ts$/,
    api: "process",
    reason: "observability of the Lambda entry, which runs on Node only: it reads process.env and writes to process.stdout",
  },
];

/** Node modules the stores use. The runtime tests run the zlib and crypto calls on Deno and Bun. */
const STORE_NODE_MODULES: Allowance[] = [
  { file: /^packages\/dynamodb\/src\/(body|protocol)\.ts$/, api: "node:zlib", reason: "gzip of stored bodies and transaction logs" },
  { file: /^packages\/(dynamodb\/src\/(search\/encode|transaction)|postgres\/src\/write)\.ts$/, api: "node:crypto", reason: "SHA-256 of long index keys and conditional-create claims" },
  {
    file: /^packages\/dynamodb\/src\/local\.ts$/,
    api: /^node:(child_process|fs|module|net|path)$/,
    reason: "the DynamoDB Local launcher, which runs in the Node process of npm start and of the tests",
  },
  {
    file: /^packages\/postgres\/src\/client\.ts$/,
    api: /^node:(child_process|fs|module|path)$/,
    reason: "initdb of a new PGlite folder in a child Node process, so its memory is freed; Deno and Bun run it in their own process",
  },
  { file: /\.test\.ts$/, api: /.*/, reason: "tests run under vitest on Node" },
];

interface Use {
  file: string;
  line: number;
  api: string;
}

describe("Node-only APIs", () => {
  it("stay out of core, repository and api", () => {
    const uses = WEB_PACKAGES.flatMap((name) => findNodeApis(path.join("packages", name)));
    const unexplained = uses.filter((use) => !isAllowed(use, WEB_PACKAGE_ALLOWANCES));
    expect(unexplained.map(formatUse)).toEqual([]);
  });

  it("in the stores are limited to the listed modules", () => {
    const uses = STORE_PACKAGES.flatMap((name) => findNodeApis(path.join("packages", name)));
    const modules = uses.filter((use) => use.api.startsWith("node:"));
    const unexplained = modules.filter((use) => !isAllowed(use, STORE_NODE_MODULES));
    expect(unexplained.map(formatUse)).toEqual([]);
  });

  it("are found by the scan", () => {
    const source = [
      'import { gzipSync } from "node:zlib";',
      'const os = await import("node:os");',
      "const bytes = Buffer.from('a');",
      "const port = process.env.PORT;",
      "const fine = { process: 1, Buffer: 2 }.process + request.process;",
    ].join("\n");
    expect(scanSource("example.ts", source).map((use) => `${use.line}:${use.api}`)).toEqual(["1:node:zlib", "2:node:os", "3:Buffer", "4:process"]);
  });
});

function isAllowed(use: Use, allowances: Allowance[]): boolean {
  return allowances.some(({ file, api }) => file.test(use.file) && (typeof api === "string" ? api === use.api : api.test(use.api)));
}

function formatUse(use: Use): string {
  return `${use.file}:${use.line} uses ${use.api}`;
}

/** Lists every `node:` import and Node global in the TypeScript files under a package folder. */
function findNodeApis(packageDir: string): Use[] {
  return listTypeScriptFiles(path.join(repositoryRoot, packageDir)).flatMap((file) =>
    scanSource(path.relative(repositoryRoot, file).split(path.sep).join("/"), readFileSync(file, "utf8")),
  );
}

function listTypeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : listTypeScriptFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/**
 * Parses one file and reports `node:` module specifiers (static and dynamic imports, exports,
 * `require`) and free references to Node globals. Comments and property names are not uses.
 */
function scanSource(file: string, text: string): Use[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const uses: Use[] = [];
  const record = (node: ts.Node, api: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    uses.push({ file, line: line + 1, api });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) && node.text.startsWith("node:") && isModuleSpecifier(node)) record(node, node.text);
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && isFreeReference(node)) record(node, node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return uses;
}

function isModuleSpecifier(node: ts.StringLiteral): boolean {
  const parent = node.parent;
  if (ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) return parent.moduleSpecifier === node;
  if (ts.isCallExpression(parent)) {
    const callee = parent.expression;
    return callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require");
  }
  return ts.isImportTypeNode(parent.parent) || ts.isExternalModuleReference(parent);
}

/** True unless the identifier names a property, a member or a declaration of its own. */
function isFreeReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) && parent.right === node) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent)) && parent.name === node) return false;
  if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionDeclaration(parent) || ts.isBindingElement(parent)) && parent.name === node) return false;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isImportClause(parent) || ts.isNamespaceImport(parent)) return false;
  return true;
}
