/**
 * Splits a SQL script into statements, because Spin's SQLite `execute` runs one statement per call.
 * Understands what migrations.sql uses: quoted strings and identifiers, `--` and block comments (kept in
 * the statement text, so a trigger's stored SQL keeps them), and `CREATE TRIGGER ... BEGIN ... END;`
 * bodies whose inner semicolons do not end the statement.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let text = '';
  // The statement without its comments: what decides whether a `;` ends it.
  let code = '';
  const flush = () => {
    if (code.trim() !== '') statements.push(text.trim().replace(/;$/, '').trim());
    text = '';
    code = '';
  };
  let i = 0;
  while (i < script.length) {
    const ch = script[i] ?? '';
    const next = script[i + 1] ?? '';
    let end: number;
    if (ch === '-' && next === '-') {
      const newline = script.indexOf('\n', i);
      end = newline === -1 ? script.length : newline + 1;
      code += ' ';
    } else if (ch === '/' && next === '*') {
      const close = script.indexOf('*/', i + 2);
      end = close === -1 ? script.length : close + 2;
      code += ' ';
    } else if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      let j = i + 1;
      // A doubled quote inside a quoted string is an escaped quote.
      while (j < script.length && !(script[j] === close && script[j + 1] !== close)) j += script[j] === close ? 2 : 1;
      end = j + 1;
      code += script.slice(i, end);
    } else {
      end = i + 1;
      code += ch;
    }
    text += script.slice(i, end);
    i = end;
    if (ch === ';') {
      const inTriggerBody = /^\s*CREATE\s+(TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(code) && !/\bEND\s*;$/i.test(code);
      if (!inTriggerBody) flush();
    }
  }
  flush();
  return statements;
}
