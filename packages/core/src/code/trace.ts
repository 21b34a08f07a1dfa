/**
 * Which of the Code's registered rules ran, and what they decided. The command pipeline,
 * the findings, and the safeguards (access, sealing, the audit witness, release assembly,
 * research consent) report each evaluation here, with the clauses it acted on: a refusal
 * or a finding cites its clause; a safeguard that denied, withheld or sealed reports `'*'`
 * (every clause it serves). A test tagged with a clause (`clause('GT-36', …)` in
 * `@alcove/core/testing`) listens, so the clause report can tell a test that made a
 * clause's rule act from one that only passed by it. With nobody listening, reporting is
 * one size check.
 */
type Listener = (ruleId: string, actedOn: readonly string[]) => void;

const listeners = new Set<Listener>();

/** Reports that `ruleId` was evaluated; `actedOn`: the clauses it refused or found under ('*': all it serves). */
export function ruleRan(ruleId: string, actedOn: readonly string[] = []): void {
  if (listeners.size === 0) return;
  for (const listener of listeners) listener(ruleId, actedOn);
}

/** Calls `listener` for every rule evaluated until the returned function is called. */
export function traceRules(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}
