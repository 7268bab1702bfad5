/** Fenced code blocks of a Markdown file, and the shell commands in them (for test/readme.test.ts). */

export interface CodeBlock {
  /** The info string after the opening fence (`sh`, `js`, `json`, or `""`). */
  lang: string;
  /** The block's text, without the fences, ending with a newline. */
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Every fenced block (```), indented ones (inside list items) included, in document order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```\s*([\w-]*)\s*$/.exec(lines[i] as string);
    if (!open) continue;
    const indent = (open[1] as string).length;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i] as string); i++) body.push((lines[i] as string).slice(indent));
    if (i === lines.length) throw new Error(`README line ${start + 1}: code block is not closed`);
    blocks.push({ lang: open[2] as string, body: `${body.join("\n")}\n`, line: start + 1 });
  }
  return blocks;
}

export interface ShellCommand {
  /** The command as printed (trailing comment included; the shell ignores it). */
  text: string;
  /** What a trailing `# needs: <what>` says the command needs that a test run does not have. */
  needs?: string;
  /** 1-based README line. */
  line: number;
}

/** The commands of a shell block: one per non-blank line that is not a comment; `\` continues a line. */
export function shellCommands(block: CodeBlock): ShellCommand[] {
  const out: ShellCommand[] = [];
  const lines = block.body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = block.line + 1 + i;
    let text = (lines[i] as string).trim();
    while (text.endsWith("\\") && i + 1 < lines.length) text = `${text.slice(0, -1)} ${(lines[++i] as string).trim()}`;
    if (text === "" || text.startsWith("#")) continue;
    const needs = /#\s*needs:\s*([^—#]*?)\s*(?:—.*)?$/.exec(text)?.[1];
    out.push(needs === undefined ? { text, line } : { text, needs, line });
  }
  return out;
}
