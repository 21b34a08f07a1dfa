/**
 * Which of the Code's registered rules ran. The command pipeline, the findings, and the
 * safeguards (access, sealing, the audit witness) report each rule they evaluate here; a
 * test tagged with a clause (`clause('GT-36', …)` in `@alcove/core/testing`) listens, so
 * the clause report can tell a test that exercised a clause's rule from one that only
 * names it. With nobody listening, reporting is one size check.
 */
type Listener = (ruleId: string) => void;

const listeners = new Set<Listener>();

/** Reports that the rule `ruleId` was evaluated (whatever its outcome). */
export function ruleRan(ruleId: string): void {
  if (listeners.size === 0) return;
  for (const listener of listeners) listener(ruleId);
}

/** Calls `listener` for every rule evaluated until the returned function is called. */
export function traceRules(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}
