declare const carries: unique symbol;

/**
 * A registration key that names the type registered under it: `resolve(token)` is typed by it, and a value of
 * another type cannot be registered under it, so two swapped tokens fail to typecheck.
 */
export type Token<T> = symbol & { readonly [carries]: (value: T) => T };

export function token<T>(name: string): Token<T> {
  return Symbol(name) as Token<T>;
}
