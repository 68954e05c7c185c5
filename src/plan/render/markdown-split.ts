// Cuts a markdown rendering into parts that each fit one GitHub comment. GitHub refuses a comment
// body over 65,536 characters; the default budget leaves room for what the gitops code adds to each
// part (a hidden marker line, "part i of n"). Parts break between blocks; a `<details>` block or a
// list is cut only when it does not fit a part of its own, and then between its entries, closing
// and re-opening it (`(continued)`) so that every part is valid markdown on its own. A section
// heading is never left last in a part, and is repeated with `(continued)` atop the next part.
//
// It understands the layout renderMarkdown writes (blank-line separated blocks; `<details>` blocks
// ending with a `</details>` line, their entries the rows of a table, or inside a ``` fence or a
// `- ` list), not markdown
// at large.

/** GitHub's limit on a comment body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Default size of a part: the limit less headroom for the marker and part header gitops adds. */
export const MARKDOWN_PART_BUDGET = 60_000;

type Block =
  | { readonly kind: "heading"; readonly text: string }
  | { readonly kind: "text"; readonly lines: readonly string[] }
  | { readonly kind: "list"; readonly items: readonly string[] }
  | {
      readonly kind: "details";
      readonly summaryLine: string;
      /** Lines between the summary and the first entry (blank line, fence opener). */
      readonly open: readonly string[];
      readonly items: readonly string[];
      /** Lines after the last entry (fence closer, blank line, `</details>`). */
      readonly close: readonly string[];
    };

const SEPARATOR = "\n\n";
const TRUNCATED = " … (truncated: too long for one comment)";

export function splitMarkdown(markdown: string, budget: number = MARKDOWN_PART_BUDGET): string[] {
  if (budget < 1_000) throw new RangeError(`splitMarkdown: a budget of ${budget} characters is too small`);
  if (markdown.length <= budget) return [markdown];
  const limit = budget - 1; // each part ends with a newline
  const parts: string[][] = [];
  let current: string[] = [];
  let used = 0;
  let section: string | undefined;

  const cost = (text: string) => (current.length === 0 ? 0 : SEPARATOR.length) + text.length;
  const fits = (text: string) => used + cost(text) <= limit;
  const add = (text: string) => {
    used += cost(text);
    current.push(text);
  };
  /** Starts a new part; inside a section, with its heading again. Returns what the part holds. */
  const newPart = () => {
    if (current.length > 0) parts.push(current);
    current = [];
    used = 0;
    if (section !== undefined) add(`${section} (continued)`);
  };
  const isFresh = () =>
    current.length === 0 ||
    (current.length === 1 && section !== undefined && current[0] === `${section} (continued)`);

  const blocks = parseBlocks(markdown);
  for (const [i, block] of blocks.entries()) {
    if (block.kind === "heading") {
      // Keep the heading with (the first piece of) what follows it.
      const next = blocks[i + 1];
      const needed = block.text + (next === undefined ? "" : SEPARATOR + firstPiece(next));
      section = undefined;
      if (!fits(needed)) newPart();
      section = block.text;
      add(block.text);
      continue;
    }
    const whole = renderBlock(block);
    if (fits(whole)) {
      add(whole);
      continue;
    }
    if (!isFresh()) {
      // Rather a part of its own than a cut block, when it fits one.
      newPart();
      if (fits(whole)) {
        add(whole);
        continue;
      }
    }
    // Too big for any part: cut between entries, as many per part as fit.
    let first = true;
    let rest = entriesOf(block);
    while (rest.length > 0) {
      // Sizes add up without re-joining: each further entry costs its length and a newline.
      let size = cost(wrap(block, rest.slice(0, 1), first));
      let taken = 0;
      while (taken < rest.length && used + size <= limit) {
        taken++;
        size += ((rest[taken] as string | undefined)?.length ?? 0) + 1;
      }
      let piece: string;
      if (taken > 0) piece = wrap(block, rest.slice(0, taken), first);
      else if (!isFresh()) {
        newPart();
        continue;
      } else {
        // A single entry larger than a part: shorten it rather than break the limit.
        const room = limit - used - cost(wrap(block, [""], first)) - TRUNCATED.length;
        piece = wrap(block, [(rest[0] as string).slice(0, Math.max(0, room)) + TRUNCATED], first);
        taken = 1;
      }
      add(piece);
      rest = rest.slice(taken);
      first = false;
      if (rest.length > 0) newPart();
    }
  }
  if (current.length > 0) parts.push(current);
  return parts.map((p) => `${p.join(SEPARATOR)}\n`);
}

function parseBlocks(markdown: string): Block[] {
  const lines = markdown.replace(/\n+$/, "").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === "") {
      i++;
      continue;
    }
    if (line.startsWith("<details>")) {
      let end = i + 1;
      while (end < lines.length && lines[end] !== "</details>") end++;
      blocks.push(detailsBlock(lines.slice(i, end + 1)));
      i = end + 1;
      continue;
    }
    if (/^#{1,6} /.test(line)) {
      blocks.push({ kind: "heading", text: line });
      i++;
      continue;
    }
    let end = i;
    while (end < lines.length && (lines[end] as string).trim() !== "") end++;
    const body = lines.slice(i, end);
    blocks.push(
      body.every((l) => l.startsWith("- ") || l.startsWith("  ")) && body[0]?.startsWith("- ")
        ? { kind: "list", items: groupEntries(body, (l) => l.startsWith("- ")) }
        : { kind: "text", lines: body },
    );
    i = end;
  }
  return blocks;
}

function detailsBlock(lines: readonly string[]): Block {
  // A table: its header and separator rows open every piece, each row is an entry.
  const tableHead = lines.findIndex((l, k) => k > 0 && l.startsWith("| "));
  if (tableHead >= 0) {
    let lastRow = lines.length - 1;
    while (lastRow > tableHead && !(lines[lastRow] as string).startsWith("| ")) lastRow--;
    return {
      kind: "details",
      summaryLine: lines[0] as string,
      open: lines.slice(1, tableHead + 2),
      items: lines.slice(tableHead + 2, lastRow + 1),
      close: lines.slice(lastRow + 1),
    };
  }
  const fenceOpen = lines.findIndex((l, k) => k > 0 && l.startsWith("```"));
  if (fenceOpen >= 0) {
    let fenceClose = lines.length - 1;
    while (fenceClose > fenceOpen && !(lines[fenceClose] as string).startsWith("```")) fenceClose--;
    return {
      kind: "details",
      summaryLine: lines[0] as string,
      open: lines.slice(1, fenceOpen + 1),
      items: groupEntries(lines.slice(fenceOpen + 1, fenceClose), (l) => !/^\s/.test(l)),
      close: lines.slice(fenceClose),
    };
  }
  const firstItem = lines.findIndex((l) => l.startsWith("- "));
  if (firstItem < 0) return { kind: "text", lines };
  let lastItem = lines.length - 1;
  while (
    lastItem > firstItem &&
    !(lines[lastItem] as string).startsWith("- ") &&
    !(lines[lastItem] as string).startsWith("  ")
  )
    lastItem--;
  return {
    kind: "details",
    summaryLine: lines[0] as string,
    open: lines.slice(1, firstItem),
    items: groupEntries(lines.slice(firstItem, lastItem + 1), (l) => l.startsWith("- ")),
    close: lines.slice(lastItem + 1),
  };
}

/** Lines grouped into entries: an entry starts at a line for which `starts` holds. */
function groupEntries(lines: readonly string[], starts: (line: string) => boolean): string[] {
  const entries: string[] = [];
  for (const l of lines) {
    if (entries.length === 0 || starts(l)) entries.push(l);
    else entries[entries.length - 1] += `\n${l}`;
  }
  return entries;
}

function entriesOf(block: Exclude<Block, { kind: "heading" }>): readonly string[] {
  switch (block.kind) {
    case "text":
      return block.lines; // not ours to cut finely; by line is the least harm
    case "list":
    case "details":
      return block.items;
    default:
      return block satisfies never;
  }
}

function renderBlock(block: Exclude<Block, { kind: "heading" }>): string {
  return wrap(block, entriesOf(block), true);
}

/** A block holding only `entries`; a details block not at its start says `(continued)`. */
function wrap(
  block: Exclude<Block, { kind: "heading" }>,
  entries: readonly string[],
  first: boolean,
): string {
  switch (block.kind) {
    case "text":
    case "list":
      return entries.join("\n");
    case "details": {
      const summary = first
        ? block.summaryLine
        : block.summaryLine.replace(/<\/summary>/, " (continued)</summary>");
      return [summary, ...block.open, ...entries, ...block.close].join("\n");
    }
    default:
      return block satisfies never;
  }
}

function firstPiece(block: Block): string {
  if (block.kind === "heading") return block.text;
  const entries = entriesOf(block);
  return wrap(block, entries.slice(0, 1), true);
}
