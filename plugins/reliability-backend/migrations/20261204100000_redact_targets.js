// @ts-check

/**
 * Strips URL userinfo (`user:password@`) from what remediation executions stored before their targets were
 * redacted: a Kubernetes action named its target with the cluster's URL as configured, credentials included, and
 * that target was stored on the execution, in the detail of a breaker that opened on it, and could be in an
 * attempt's error. The columns cleaned: `reliability_remediations.target` and `.detail`, and
 * `reliability_remediation_attempts.error`. Nothing else of the text changes.
 *
 * Rows are read in batches by id (only those holding an `@`), and only the rows that change are written. Each
 * whitespace-separated token is split at every `scheme://`, and each URL so found is parsed by the WHATWG URL
 * parser; no regular expression runs on the stored text. The way down keeps the cleaned text: credentials are not
 * put back.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await clean(knex, 'reliability_remediations', ['target', 'detail']);
  await clean(knex, 'reliability_remediation_attempts', ['error']);
};

/** @param {import('knex').Knex} _knex */
exports.down = async function down(_knex) {
  // the credentials are gone for good
};

const BATCH = 500;

/**
 * @param {import('knex').Knex} knex
 * @param {string} table
 * @param {string[]} columns
 */
async function clean(knex, table, columns) {
  if (!(await knex.schema.hasTable(table))) return;
  /** @type {number | string} */
  let last = 0;
  for (;;) {
    /** @type {Record<string, any>[]} */
    const rows = await knex(table)
      .where('id', '>', last)
      .where(q => {
        for (const c of columns) q.orWhere(c, 'like', '%@%');
      })
      .orderBy('id')
      .limit(BATCH)
      .select('id', ...columns);
    if (!rows.length) return;
    for (const row of rows) {
      /** @type {Record<string, string>} */
      const update = {};
      for (const c of columns) {
        const value = row[c];
        if (typeof value !== 'string') continue;
        const stripped = stripUserinfo(value);
        if (stripped !== value) update[c] = stripped;
      }
      if (Object.keys(update).length)
        await knex(table).where('id', row.id).update(update);
    }
    last = rows[rows.length - 1].id;
  }
}

/** @param {string} c */
const isSpace = c =>
  c === ' ' ||
  c === '\t' ||
  c === '\n' ||
  c === '\r' ||
  c === '\f' ||
  c === '\v';
/** @param {string} c */
const isSchemeChar = c =>
  (c >= 'a' && c <= 'z') ||
  (c >= 'A' && c <= 'Z') ||
  (c >= '0' && c <= '9') ||
  c === '+' ||
  c === '-' ||
  c === '.';

/**
 * The text with the userinfo of every URL in it removed, whitespace and everything else kept.
 * @param {string} text
 */
function stripUserinfo(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    let end = i;
    if (isSpace(text[i])) {
      while (end < text.length && isSpace(text[end])) end++;
      out += text.slice(i, end);
    } else {
      while (end < text.length && !isSpace(text[end])) end++;
      out += stripToken(text.slice(i, end));
    }
    i = end;
  }
  return out;
}

/**
 * One whitespace-free token: each `scheme://` in it starts a URL that runs to the next one (or the token's end).
 * @param {string} token
 */
function stripToken(token) {
  if (!token.includes('@')) return token;
  let out = '';
  let from = 0;
  let sep = token.indexOf('://');
  while (sep !== -1) {
    let start = sep;
    while (start > from && isSchemeChar(token[start - 1])) start--;
    const next = token.indexOf('://', sep + 3);
    let end = next === -1 ? token.length : next;
    while (next !== -1 && end > sep + 3 && isSchemeChar(token[end - 1])) end--;
    out += token.slice(from, start) + stripUrl(token.slice(start, end));
    from = end;
    sep = next;
  }
  return out + token.slice(from);
}

/** @param {string} url */
function parse(url) {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * A URL (`scheme://…`, up to the end of its token) without its userinfo. The userinfo is what comes before the
 * last `@` of the authority, as the WHATWG parser reads it; removing it leaves the rest of the text byte for byte.
 * When the parser reads the result differently (another host, or userinfo still there), the URL is rewritten from
 * what the parser read: `scheme://host/path`. Text the parser does not accept loses what looks like userinfo all
 * the same.
 * @param {string} url
 */
function stripUrl(url) {
  const authority = url.indexOf('://') + 3;
  let authorityEnd = authority;
  while (authorityEnd < url.length && !'/?#\\'.includes(url[authorityEnd]))
    authorityEnd++;
  const at = url.lastIndexOf('@', authorityEnd - 1);
  const parsed = parse(url);
  if (at < authority) {
    // no `@` before the path: the parser finds no userinfo either, unless it reads the authority otherwise
    return parsed && (parsed.username || parsed.password)
      ? `${parsed.protocol}//${parsed.host}${parsed.pathname}`
      : url;
  }
  const stripped = url.slice(0, authority) + url.slice(at + 1);
  if (!parsed) return stripped;
  const check = parse(stripped);
  if (!check || check.username || check.password || check.host !== parsed.host)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  return stripped;
}
