/**
 * Lexer and parser for the D subset: probe clauses, predicates, expressions with C precedence,
 * aggregation statements, actions, `#pragma D option` and comments.
 *
 * Models: `desc[, desc...] [/pred/] { stmt; ... }` clauses (an empty body is allowed), probe
 * descriptions with shell globs read as raw text (like the D lexer's probe-description state),
 * C expressions (assignment ops, ternary, `|| ^^ &&`, bitwise, comparison, shifts, arithmetic,
 * unary, casts to integer types, `++`/`--`, calls, `[]` subscripts, `->` for `self`/`this`,
 * `.` member access for `vmcs`), string and character literals with C escapes, integer literals
 * (decimal, hex, octal, with u/l suffixes), block and line comments, a leading `#!` line,
 * top-level declarations `[self|this] type name;` and `inline type name = value;`.
 * Does not model: array declarations, translators, structs, `if`/`else`, speculation.
 *
 * Every error is a `DSyntaxError` naming the line and column and what was expected.
 */

export interface Pos {
  line: number;
  col: number;
}

export class DSyntaxError extends Error {
  constructor(readonly pos: Pos, readonly detail: string) {
    super(`vtx: D program error at line ${pos.line}, column ${pos.col}: ${detail}`);
    this.name = 'DSyntaxError';
  }
}

export type Expr =
  | { k: 'num'; pos: Pos; value: bigint; decimal: boolean; suffix: string }
  | { k: 'str'; pos: Pos; value: string }
  | { k: 'ident'; pos: Pos; name: string }
  | { k: 'self'; pos: Pos; name: string }
  | { k: 'this'; pos: Pos; name: string }
  | { k: 'agg'; pos: Pos; name: string }
  | { k: 'index'; pos: Pos; base: string; args: Expr[] }
  | { k: 'member'; pos: Pos; base: string; name: string }
  | { k: 'call'; pos: Pos; name: string; args: Expr[] }
  | { k: 'unary'; pos: Pos; op: string; e: Expr }
  | { k: 'incdec'; pos: Pos; op: '++' | '--'; prefix: boolean; e: Expr }
  | { k: 'binary'; pos: Pos; op: string; l: Expr; r: Expr }
  | { k: 'ternary'; pos: Pos; c: Expr; t: Expr; f: Expr }
  | { k: 'assign'; pos: Pos; op: string; target: Expr; value: Expr }
  | { k: 'cast'; pos: Pos; type: string; e: Expr };

export type Stmt =
  | { k: 'expr'; pos: Pos; e: Expr }
  | { k: 'agg'; pos: Pos; name: string; keys: Expr[]; fn: string; fnPos: Pos; args: Expr[] };

export interface ProbeDescText {
  text: string;
  pos: Pos;
}

export interface Clause {
  pos: Pos;
  descs: ProbeDescText[];
  pred: Expr | null;
  body: Stmt[];
}

export interface Pragma {
  pos: Pos;
  name: string;
  value: string | null;
}

/** `[self|this] type name;` or `inline type name = constant;` at the top level. */
export interface Decl {
  pos: Pos;
  scope: 'global' | 'self' | 'this' | 'inline';
  type: string;
  typePos: Pos;
  name: string;
  value: Expr | null;
}

export interface ProgramAst {
  clauses: Clause[];
  pragmas: Pragma[];
  decls: Decl[];
}

type TokKind = 'num' | 'str' | 'char' | 'ident' | 'agg' | 'punct' | 'eof';

interface Token {
  kind: TokKind;
  text: string;
  pos: Pos;
  /** num: value; char: code. */
  value?: bigint;
  decimal?: boolean;
  suffix?: string;
}

const PUNCTS = [
  '<<=', '>>=', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '^^',
  '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
  '+', '-', '*', '/', '%', '<', '>', '=', '!', '~', '&', '|', '^', '?', ':', ',', ';', '(', ')', '[', ']', '{', '}', '.',
];

const INT_TYPE_WORDS = new Set([
  'char', 'short', 'int', 'long', 'unsigned', 'signed',
  'int8_t', 'int16_t', 'int32_t', 'int64_t', 'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t',
  'uintptr_t', 'intptr_t', 'size_t', 'ssize_t',
]);

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'end of program';
    case 'num': return `number ${t.text}`;
    case 'str': return `string ${t.text}`;
    case 'char': return `character constant ${t.text}`;
    case 'ident': return `identifier "${t.text}"`;
    case 'agg': return `aggregation "${t.text}"`;
    case 'punct': return `"${t.text}"`;
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };

export class DParser {
  private i = 0;
  private line = 1;
  private col = 1;
  private tok: Token;

  constructor(private readonly src: string) {
    if (src.startsWith('#!')) this.skipLine();
    this.tok = { kind: 'eof', text: '', pos: { line: 1, col: 1 } };
  }

  // ------------------------------------------------------------------------------- scanning

  private here(): Pos {
    return { line: this.line, col: this.col };
  }

  private advance(n = 1): void {
    for (let k = 0; k < n; k++) {
      if (this.src[this.i] === '\n') {
        this.line++;
        this.col = 1;
      } else this.col++;
      this.i++;
    }
  }

  private skipLine(): void {
    while (this.i < this.src.length && this.src[this.i] !== '\n') this.advance();
  }

  /** Skip blanks and comments (and `#pragma` lines, which are collected by the caller). */
  private skipSpace(): void {
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) return;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.advance();
      } else if (c === '/' && this.src[this.i + 1] === '*') {
        const start = this.here();
        this.advance(2);
        while (this.i < this.src.length && !(this.src[this.i] === '*' && this.src[this.i + 1] === '/')) this.advance();
        if (this.i >= this.src.length) throw new DSyntaxError(start, 'expected "*/" to close the comment but found end of program');
        this.advance(2);
      } else if (c === '/' && this.src[this.i + 1] === '/') {
        this.skipLine();
      } else return;
    }
  }

  private scan(): Token {
    this.skipSpace();
    const pos = this.here();
    const s = this.src;
    const c = s[this.i];
    if (c === undefined) return { kind: 'eof', text: '', pos };
    if (/[A-Za-z_]/.test(c)) {
      let j = this.i;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
      const text = s.slice(this.i, j);
      this.advance(j - this.i);
      return { kind: 'ident', text, pos };
    }
    if (c === '@') {
      let j = this.i + 1;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
      const text = s.slice(this.i, j);
      this.advance(j - this.i);
      return { kind: 'agg', text, pos };
    }
    if (/[0-9]/.test(c)) {
      let j = this.i;
      let decimal = true;
      let digits: string;
      if (c === '0' && (s[j + 1] === 'x' || s[j + 1] === 'X')) {
        j += 2;
        const st = j;
        while (j < s.length && /[0-9A-Fa-f]/.test(s[j]!)) j++;
        if (j === st) throw new DSyntaxError(pos, 'expected hexadecimal digits after "0x"');
        digits = '0x' + s.slice(st, j);
        decimal = false;
      } else if (c === '0') {
        j++;
        const st = j;
        while (j < s.length && /[0-7]/.test(s[j]!)) j++;
        digits = st === j ? '0' : '0o' + s.slice(st, j);
        decimal = st === j;
      } else {
        while (j < s.length && /[0-9]/.test(s[j]!)) j++;
        digits = s.slice(this.i, j);
      }
      const sst = j;
      while (j < s.length && /[uUlL]/.test(s[j]!)) j++;
      const suffix = s.slice(sst, j);
      if (j < s.length && /[A-Za-z0-9_.]/.test(s[j]!)) {
        throw new DSyntaxError({ line: pos.line, col: pos.col + (j - this.i) }, `expected an operator after number but found "${s[j]}"`);
      }
      const text = s.slice(this.i, j);
      this.advance(j - this.i);
      const value = BigInt(digits);
      if (value > 0xffffffffffffffffn) throw new DSyntaxError(pos, `integer constant ${text} is too large`);
      return { kind: 'num', text, pos, value, decimal, suffix };
    }
    if (c === '"' || c === "'") {
      const quote = c;
      let j = this.i + 1;
      let out = '';
      for (;;) {
        const d = s[j];
        if (d === undefined || d === '\n') {
          throw new DSyntaxError(pos, `expected closing ${quote} but found ${d === undefined ? 'end of program' : 'end of line'}`);
        }
        if (d === quote) break;
        if (d === '\\') {
          const e = s[j + 1];
          if (e === undefined) throw new DSyntaxError(pos, `expected closing ${quote} but found end of program`);
          if (e === 'x') {
            const m = /^[0-9A-Fa-f]{1,2}/.exec(s.slice(j + 2));
            if (!m) throw new DSyntaxError(pos, 'expected hexadecimal digits after "\\x"');
            out += String.fromCharCode(parseInt(m[0], 16));
            j += 2 + m[0].length;
            continue;
          }
          if (/[0-7]/.test(e)) {
            const m = /^[0-7]{1,3}/.exec(s.slice(j + 1))!;
            out += String.fromCharCode(parseInt(m[0], 8));
            j += 1 + m[0].length;
            continue;
          }
          const r = ESCAPES[e];
          if (r === undefined) throw new DSyntaxError(pos, `expected a valid escape sequence but found "\\${e}"`);
          out += r;
          j += 2;
          continue;
        }
        out += d;
        j++;
      }
      const text = s.slice(this.i, j + 1);
      this.advance(j + 1 - this.i);
      if (quote === "'") {
        if (out.length !== 1) throw new DSyntaxError(pos, `expected one character in character constant but found ${out.length}`);
        return { kind: 'char', text, pos, value: BigInt(out.charCodeAt(0)) };
      }
      return { kind: 'str', text: JSON.stringify(out), pos, value: undefined, suffix: out };
    }
    for (const p of PUNCTS) {
      if (s.startsWith(p, this.i)) {
        this.advance(p.length);
        return { kind: 'punct', text: p, pos };
      }
    }
    throw new DSyntaxError(pos, `expected a token but found invalid character "${c}"`);
  }

  private next(): Token {
    const t = this.tok;
    this.tok = this.scan();
    return t;
  }

  private is(text: string): boolean {
    return this.tok.kind === 'punct' && this.tok.text === text;
  }

  private expect(text: string, what?: string): Token {
    if (!this.is(text)) throw new DSyntaxError(this.tok.pos, `expected ${what ?? `"${text}"`} but found ${describe(this.tok)}`);
    return this.next();
  }

  private fail(what: string): never {
    throw new DSyntaxError(this.tok.pos, `expected ${what} but found ${describe(this.tok)}`);
  }

  // -------------------------------------------------------------------------------- program

  parseProgram(): ProgramAst {
    const clauses: Clause[] = [];
    const pragmas: Pragma[] = [];
    const decls: Decl[] = [];
    for (;;) {
      this.skipSpace();
      if (this.i >= this.src.length) break;
      if (this.src[this.i] === '#') {
        pragmas.push(this.parsePragma());
        continue;
      }
      if (this.isDeclStart()) {
        decls.push(this.parseDecl());
        continue;
      }
      clauses.push(this.parseClause());
    }
    return { clauses, pragmas, decls };
  }

  /** A declaration starts with a keyword or type name followed by a blank (descriptions have none). */
  private isDeclStart(): boolean {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)[ \t\r\n]/.exec(this.src.slice(this.i, this.i + 64));
    if (!m) return false;
    const w = m[1]!;
    return w === 'inline' || w === 'self' || w === 'this' || w === 'string' || INT_TYPE_WORDS.has(w);
  }

  private parseDecl(): Decl {
    this.tok = this.scan();
    const pos = this.tok.pos;
    let scope: Decl['scope'] = 'global';
    if (this.tok.kind === 'ident' && ['inline', 'self', 'this'].includes(this.tok.text)) {
      scope = this.next().text as Decl['scope'];
    }
    const typePos = this.tok.pos;
    let type = '';
    while (this.tok.kind === 'ident' && (INT_TYPE_WORDS.has(this.tok.text) || (type === '' && this.tok.text === 'string'))) {
      type += (type ? ' ' : '') + this.next().text;
      if (type === 'string') break;
    }
    if (type === '') this.fail('a type name (an integer type or string)');
    const nameTok = this.tok;
    if (nameTok.kind !== 'ident') this.fail('a variable name in the declaration');
    this.next();
    let value: Expr | null = null;
    if (scope === 'inline') {
      this.expect('=', '"=" and a constant value for the inline');
      value = this.parseAssign();
    }
    // Like a clause's "}", the ";" is the last token read: the next item starts with raw text.
    if (!this.is(';')) this.fail('";" to end the declaration');
    return { pos, scope, type, typePos, name: nameTok.text, value };
  }

  private parsePragma(): Pragma {
    const pos = this.here();
    const st = this.i;
    this.skipLine();
    const line = this.src.slice(st, this.i).trim();
    const m = /^#\s*pragma\s+D\s+option\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s*=\s*(\S+))?\s*$/.exec(line);
    if (m) return { pos, name: m[1]!, value: m[2] ?? null };
    // Library and stability pragmas of published scripts carry no meaning here.
    if (/^#\s*pragma\s+(D\s+(depends_on|attributes|binding)\b|ident\b)/.test(line)) return { pos, name: '', value: null };
    if (/^#\s*pragma\s+D\s/.test(line)) {
      throw new DSyntaxError(pos, `expected "#pragma D option name[=value]" but found "${line}"`);
    }
    throw new DSyntaxError(pos, `expected a probe description or "#pragma D option" but found "${line.split(/\s/)[0]}"`);
  }

  /** Read one probe description as raw text (the D lexer's probe-description state). */
  private parseDesc(): ProbeDescText {
    this.skipSpace();
    const pos = this.here();
    const st = this.i;
    while (this.i < this.src.length) {
      const c = this.src[this.i]!;
      if (c === '\\' && this.i + 1 < this.src.length) {
        this.advance(2);
        continue;
      }
      if (/[A-Za-z0-9_:*?[\]!\-.$`+]/.test(c)) this.advance();
      else break;
    }
    const text = this.src.slice(st, this.i);
    if (text === '') {
      const c = this.src[this.i];
      throw new DSyntaxError(pos, `expected a probe description but found ${c === undefined ? 'end of program' : `"${c}"`}`);
    }
    return { text, pos };
  }

  private parseClause(): Clause {
    const descs: ProbeDescText[] = [this.parseDesc()];
    for (;;) {
      this.skipSpace();
      if (this.src[this.i] === ',') {
        this.advance();
        descs.push(this.parseDesc());
      } else break;
    }
    const pos = descs[0]!.pos;
    this.tok = this.scan();
    let pred: Expr | null = null;
    if (this.is('/')) {
      this.next();
      pred = this.parseExpr(true);
      this.expect('/', '"/" to end the predicate');
    }
    if (!this.is('{')) this.fail(pred ? '"{"' : '"{", "/" or ","');
    this.next();
    const body: Stmt[] = [];
    while (!this.is('}')) {
      if (this.tok.kind === 'eof') this.fail('"}" to end the clause');
      if (this.is(';')) {
        this.next();
        continue;
      }
      body.push(this.parseStmt());
      if (this.is(';')) this.next();
      else if (!this.is('}')) this.fail('";" or "}"');
    }
    // The closing brace: do not scan past it, the next clause starts with a raw description.
    return { pos, descs, pred, body };
  }

  private parseStmt(): Stmt {
    const t = this.tok;
    if (t.kind === 'agg') {
      this.next();
      const name = t.text === '@' ? '' : t.text.slice(1);
      const keys: Expr[] = [];
      if (this.is('[')) {
        this.next();
        if (this.is(']')) this.fail('a key expression');
        keys.push(this.parseAssign());
        while (this.is(',')) {
          this.next();
          keys.push(this.parseAssign());
        }
        this.expect(']', '"]" or ","');
      }
      this.expect('=', '"=" after the aggregation');
      const fnTok = this.tok;
      if (fnTok.kind !== 'ident') this.fail('an aggregating function (count, sum, avg, min, max, stddev, quantize, lquantize, llquantize)');
      this.next();
      this.expect('(', `"(" after ${fnTok.text}`);
      const args = this.parseArgs();
      return { k: 'agg', pos: t.pos, name, keys, fn: fnTok.text, fnPos: fnTok.pos, args };
    }
    const e = this.parseExpr(false);
    return { k: 'expr', pos: t.pos, e };
  }

  /** Arguments after "(" through ")". */
  private parseArgs(): Expr[] {
    const args: Expr[] = [];
    if (this.is(')')) {
      this.next();
      return args;
    }
    args.push(this.parseArg());
    while (this.is(',')) {
      this.next();
      args.push(this.parseArg());
    }
    this.expect(')', '")" or ","');
    return args;
  }

  private parseArg(): Expr {
    if (this.tok.kind === 'agg') {
      const t = this.next();
      return { k: 'agg', pos: t.pos, name: t.text === '@' ? '' : t.text.slice(1) };
    }
    return this.parseAssign();
  }

  // ----------------------------------------------------------------------------- expressions

  /** `inPredicate`: a "/" ends the predicate, it is not division at the top level. */
  private noSlash = false;

  private parseExpr(inPredicate: boolean): Expr {
    const save = this.noSlash;
    this.noSlash = inPredicate;
    try {
      let e = this.parseAssign();
      while (this.is(',') && !inPredicate) {
        // comma operator is not part of the subset: a statement holds one expression
        this.fail('";" or "}"');
      }
      return e;
    } finally {
      this.noSlash = save;
    }
  }

  private parseAssign(): Expr {
    const lhs = this.parseTernary();
    const t = this.tok;
    if (t.kind === 'punct' && ['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>='].includes(t.text)) {
      if (!isLvalue(lhs)) throw new DSyntaxError(t.pos, `expected a variable on the left of "${t.text}" but found an expression`);
      this.next();
      const value = this.parseAssign();
      return { k: 'assign', pos: t.pos, op: t.text, target: lhs, value };
    }
    return lhs;
  }

  private parseTernary(): Expr {
    const c = this.parseBinary(0);
    if (this.is('?')) {
      const pos = this.next().pos;
      const t = this.parseAssign();
      this.expect(':', '":" of the conditional expression');
      const f = this.parseTernary();
      return { k: 'ternary', pos, c, t, f };
    }
    return c;
  }

  private static readonly LEVELS: string[][] = [
    ['||'], ['^^'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
  ];

  private parseBinary(level: number): Expr {
    if (level >= DParser.LEVELS.length) return this.parseUnary();
    let l = this.parseBinary(level + 1);
    const ops = DParser.LEVELS[level]!;
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'punct' || !ops.includes(t.text)) return l;
      if (t.text === '/' && this.noSlash && this.parenDepth === 0) return l;
      this.next();
      const r = this.parseBinary(level + 1);
      l = { k: 'binary', pos: t.pos, op: t.text, l, r };
    }
  }

  private parenDepth = 0;

  private parseUnary(): Expr {
    const t = this.tok;
    if (t.kind === 'punct') {
      if (t.text === '++' || t.text === '--') {
        this.next();
        const e = this.parseUnary();
        if (!isLvalue(e)) throw new DSyntaxError(t.pos, `expected a variable after "${t.text}" but found an expression`);
        return { k: 'incdec', pos: t.pos, op: t.text, prefix: true, e };
      }
      if (['-', '+', '!', '~'].includes(t.text)) {
        this.next();
        return { k: 'unary', pos: t.pos, op: t.text, e: this.parseUnary() };
      }
      if (t.text === '(') {
        // cast?
        const save = { i: this.i, line: this.line, col: this.col, tok: this.tok };
        this.next();
        if (this.tok.kind === 'ident' && INT_TYPE_WORDS.has(this.tok.text)) {
          let type = '';
          while (this.tok.kind === 'ident' && INT_TYPE_WORDS.has(this.tok.text)) type += (type ? ' ' : '') + this.next().text;
          this.expect(')', '")" to end the cast');
          return { k: 'cast', pos: t.pos, type, e: this.parseUnary() };
        }
        this.i = save.i;
        this.line = save.line;
        this.col = save.col;
        this.tok = save.tok;
      }
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expr {
    let e = this.parsePrimary();
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'punct') return e;
      if (t.text === '++' || t.text === '--') {
        if (!isLvalue(e)) throw new DSyntaxError(t.pos, `expected a variable before "${t.text}" but found an expression`);
        this.next();
        e = { k: 'incdec', pos: t.pos, op: t.text, prefix: false, e };
        continue;
      }
      if (t.text === '[') {
        if (e.k !== 'ident') throw new DSyntaxError(t.pos, 'expected an array name before "[" but found an expression');
        this.next();
        const args: Expr[] = [];
        this.parenDepth++;
        if (this.is(']')) this.fail('an index expression');
        args.push(this.parseAssign());
        while (this.is(',')) {
          this.next();
          args.push(this.parseAssign());
        }
        this.parenDepth--;
        this.expect(']', '"]" or ","');
        e = { k: 'index', pos: e.pos, base: e.name, args };
        continue;
      }
      if (t.text === '.') {
        if (e.k !== 'ident') throw new DSyntaxError(t.pos, 'expected a name before "." but found an expression');
        this.next();
        const m = this.tok;
        if (m.kind !== 'ident') this.fail('a member name after "."');
        this.next();
        e = { k: 'member', pos: e.pos, base: e.name, name: m.text };
        continue;
      }
      if (t.text === '->') {
        if (e.k !== 'ident' || (e.name !== 'self' && e.name !== 'this')) {
          throw new DSyntaxError(t.pos, 'expected "self" or "this" before "->" but found an expression');
        }
        this.next();
        const m = this.tok;
        if (m.kind !== 'ident') this.fail(`a variable name after "${e.name}->"`);
        this.next();
        e = { k: e.name === 'self' ? 'self' : 'this', pos: e.pos, name: m.text };
        continue;
      }
      return e;
    }
  }

  private parsePrimary(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'num':
        this.next();
        return { k: 'num', pos: t.pos, value: t.value!, decimal: t.decimal!, suffix: t.suffix! };
      case 'char':
        this.next();
        return { k: 'num', pos: t.pos, value: t.value!, decimal: true, suffix: '' };
      case 'str':
        this.next();
        return { k: 'str', pos: t.pos, value: t.suffix! };
      case 'ident': {
        this.next();
        if (this.is('(')) {
          this.next();
          this.parenDepth++;
          const args = this.parseArgs();
          this.parenDepth--;
          return { k: 'call', pos: t.pos, name: t.text, args };
        }
        return { k: 'ident', pos: t.pos, name: t.text };
      }
      case 'agg':
        throw new DSyntaxError(t.pos, `expected an expression but found ${describe(t)} (aggregations can only be assigned or passed to printa, clear, trunc, normalize, denormalize)`);
      case 'punct':
        if (t.text === '(') {
          this.next();
          this.parenDepth++;
          const e = this.parseAssign();
          this.parenDepth--;
          this.expect(')', '")"');
          return e;
        }
        break;
      case 'eof':
      case 'str':
        break;
    }
    return this.fail('an expression');
  }
}

function isLvalue(e: Expr): boolean {
  return e.k === 'ident' || e.k === 'self' || e.k === 'this' || e.k === 'index';
}

export function parseD(src: string): ProgramAst {
  return new DParser(src).parseProgram();
}
