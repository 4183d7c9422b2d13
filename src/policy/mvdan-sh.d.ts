/**
 * The small part of the `mvdan-sh` package (mvdan/sh's parser compiled to
 * JavaScript) that parser.ts uses. Nodes are Go structs seen through JS: fields
 * are read by their Go names and every node's type comes from `NodeType`.
 */
declare module "mvdan-sh" {
  /** A syntax node; its fields depend on `syntax.NodeType(node)`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  export type ShNode = any;

  export interface ShParser {
    /** Throws a parse error object whose `Error()` method gives "line:col: message". */
    Parse(source: string, name: string): ShNode;
  }

  export interface ShSyntax {
    NewParser(...options: unknown[]): ShParser;
    NodeType(node: ShNode): string;
    /** Visits every node depth first; returning false skips the node's children. */
    Walk(node: ShNode, visit: (node: ShNode | null) => boolean): void;
    /** A copy of the word with brace expressions ({a,b}, {1..3}) as BraceExp parts. */
    SplitBraces(word: ShNode): ShNode;
    LangBash: unknown;
    Variant(lang: unknown): unknown;
  }

  const sh: { syntax: ShSyntax };
  export default sh;
}
