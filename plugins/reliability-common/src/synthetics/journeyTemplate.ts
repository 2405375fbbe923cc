import { parseTemplate } from '../template/template';

/**
 * Fills a template with the values extracted by earlier steps and the configured secrets (`{{secrets.NAME}}`).
 * An unknown name is an error naming it; secrets are looked up, never stored with the journey.
 * @public
 */
export function renderJourneyTemplate(
  source: string,
  vars: Readonly<Record<string, string>>,
  secrets: Readonly<Record<string, string>>,
):
  | { ok: true; value: string; usedSecrets: string[] }
  | { ok: false; error: string } {
  let out = '';
  const usedSecrets: string[] = [];
  for (const part of parseTemplate(source)) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    if (part.ref.startsWith('secrets.')) {
      const name = part.ref.slice('secrets.'.length);
      const v = Object.prototype.hasOwnProperty.call(secrets, name)
        ? secrets[name]
        : undefined;
      if (v === undefined)
        return {
          ok: false,
          error: `uses {{${part.ref.slice(
            0,
            60,
          )}}}, which is not in reliability.synthetics.secrets`,
        };
      usedSecrets.push(v);
      out += v;
    } else {
      const v = Object.prototype.hasOwnProperty.call(vars, part.ref)
        ? vars[part.ref]
        : undefined;
      if (v === undefined)
        return {
          ok: false,
          error: `uses {{${part.ref.slice(
            0,
            60,
          )}}}, which no earlier step extracted`,
        };
      out += v;
    }
  }
  return { ok: true, value: out, usedSecrets };
}
