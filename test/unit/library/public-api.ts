import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The package's entry files (package.json `exports`), relative to the repository. */
export const ENTRY_FILES = ["src/index.ts", "src/sink.ts", "src/postgres.ts"] as const;

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface TaggedDeclaration {
  /** Relative to the repository, with `/`. */
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly tag: "public" | "internal";
  /** Whether some entry file exports it. */
  readonly exported: boolean;
}

/**
 * Every top-level declaration under src/ tagged `@public` or `@internal` in its doc comment, and
 * whether one of the entry files exports it (under any name).
 */
export function taggedDeclarations(): TaggedDeclaration[] {
  const config = ts.getParsedCommandLineOfConfigFile(`${ROOT}tsconfig.build.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error("tsconfig.build.json cannot be read");
  const program = ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const exported = new Set<ts.Declaration>();
  for (const entry of ENTRY_FILES) {
    const source = program.getSourceFile(`${ROOT}${entry}`);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${entry} is not a module`);
    for (let symbol of checker.getExportsOfModule(module)) {
      if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      for (const declaration of symbol.declarations ?? []) exported.add(declaration);
    }
  }
  const found: TaggedDeclaration[] = [];
  for (const source of program.getSourceFiles()) {
    const file = source.fileName.startsWith(ROOT) ? source.fileName.slice(ROOT.length) : source.fileName;
    if (!file.startsWith("src/")) continue;
    for (const statement of source.statements) {
      const tag = ts.getJSDocTags(statement).find((each) => each.tagName.text === "public" || each.tagName.text === "internal");
      if (!tag) continue;
      const declarations = ts.isVariableStatement(statement) ? [...statement.declarationList.declarations] : [statement as unknown as ts.Declaration];
      for (const declaration of declarations) {
        const name = ts.getNameOfDeclaration(declaration)?.getText(source) ?? "(anonymous)";
        found.push({
          file,
          line: source.getLineAndCharacterOfPosition(statement.getStart(source)).line + 1,
          name,
          tag: tag.tagName.text as "public" | "internal",
          exported: exported.has(declaration),
        });
      }
    }
  }
  return found;
}
