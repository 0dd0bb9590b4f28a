/**
 * Beyond the `variables` case, which tries three bad names: every name Spin's own unit tests accept or refuse
 * (spinframework/spin, crates/expressions/src/lib.rs, tests `keys_good` and `keys_bad`), against the host
 * side of `fermyon:spin/variables@2.0.0`. Found while replaying that case: the runtime accepted `x_` and `a__b`.
 */
import { describe, expect, it } from 'vitest';
import { variablesImports } from '../../runtime/src/host/variables/index';

const GOOD = ['a', 'abc', 'a1b2c3', 'a_1', 'a_1_b_3'];
const BAD = ['', 'aX', '1bc', '_x', 'x.y', 'x_', 'a__b', 'x-y'];

const host = variablesImports(Object.fromEntries([...GOOD, ...BAD].map((name) => [name, 'value'])))[
  'fermyon:spin/variables'
] as { get(name: string): string };

describe("variable names as Spin's Key::validate sees them", () => {
  it.each(GOOD)('get(%j) finds the variable', (name) => {
    expect(host.get(name)).toBe('value');
  });

  it.each(BAD)('get(%j) is invalid-name, even when the name was given a value', (name) => {
    expect(() => host.get(name)).toThrow(
      expect.objectContaining({ payload: expect.objectContaining({ tag: 'invalid-name' }) }),
    );
  });
});
