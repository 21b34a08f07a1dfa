/**
 * A contract text for tests (fictional): the opening line given, then the Code's own
 * sections (GT-36b, GT-36c) as headings on a line of their own, and no blank left to fill,
 * so `contract.offer` (core/code/contracts.ts) offers it for signature as it is.
 */
export function contractText(opening: string): string {
  return `${opening}

Rights and responsibilities
We each keep to the times agreed; you may ask about the therapy at any time (fictional).

Aims of therapy
The aims we agree at the assessment, reviewed together every six sessions (fictional).

How and when therapy ends
Either of us may end it; we plan the last session together (fictional).`;
}
