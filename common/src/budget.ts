/**
 * The caller's remaining time budget (`x-budget-ms`): a request whose budget is already spent is answered
 * `504` at once instead of doing work nobody waits for; the aggregates component passes what is left on.
 */
import { HttpError } from './problem';

/** The header a caller sets to the milliseconds it will still wait for an answer. */
export const BUDGET_HEADER = 'x-budget-ms';

/** `x-budget-ms` as a whole number of ms; absent or unreadable means no budget was set. */
export function readBudget(headers: Headers): number | null {
  const raw = headers.get(BUDGET_HEADER);
  if (raw === null || !/^-?[0-9]{1,9}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

/** The request's budget, or a `504` when it is already spent. */
export function budgetOf(request: Request): number | null {
  const budgetMs = readBudget(request.headers);
  if (budgetMs !== null && budgetMs <= 0) {
    throw new HttpError(
      504,
      'gateway-timeout',
      'The caller’s time budget (x-budget-ms) was spent before this request started.',
    );
  }
  return budgetMs;
}
