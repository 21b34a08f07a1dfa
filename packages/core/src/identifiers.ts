/**
 * The parts of a person's name that identify them in free text: each word of three letters
 * or more of their name and preferred name, outside brackets (so "(fictional)" is not one),
 * lower-cased. Alcove's own labels ("Partner A", "the client", "Member 2") name nobody.
 * Used where text must not name a client: supervision material (PG5-5) and releases (PG5-1).
 */
const LABEL_WORDS = new Set(['partner', 'client', 'member']);

export function nameTokens(person: {
  readonly name: string;
  readonly preferredName?: string | undefined;
}): string[] {
  return [
    ...new Set(
      [person.name, person.preferredName ?? '']
        .map((n) => n.replace(/\([^)]*\)/g, ' '))
        .flatMap((n) => n.toLowerCase().split(/[^\p{L}'’-]+/u))
        .filter((t) => t.length >= 3 && !LABEL_WORDS.has(t)),
    ),
  ];
}
