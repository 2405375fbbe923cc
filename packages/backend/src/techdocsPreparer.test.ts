import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CopyingDirectoryPreparer,
  copyMkdocsSources,
  docsDirOf,
} from './techdocsPreparer';

describe('the TechDocs dir: preparer that builds from a copy', () => {
  let source: string;
  const made: string[] = [];
  beforeEach(() => {
    source = mkdtempSync(path.join(os.tmpdir(), 'techdocs-source-'));
    made.push(source);
  });
  afterAll(() =>
    made.forEach(d => rmSync(d, { recursive: true, force: true })),
  );

  it('reads docs_dir from the top level of the config', () => {
    expect(docsDirOf('site_name: x\n')).toBe('docs');
    expect(docsDirOf('site_name: x\ndocs_dir: reference\nnav: []\n')).toBe(
      'reference',
    );
    expect(docsDirOf("docs_dir: 'my docs' # a comment\n")).toBe('my docs');
    expect(docsDirOf('theme:\n  docs_dir: nested\n')).toBe('docs');
  });

  it('copies the config and its docs folder, nothing else of the folder', async () => {
    writeFileSync(path.join(source, 'mkdocs.yml'), 'site_name: x\n');
    mkdirSync(path.join(source, 'docs/images'), { recursive: true });
    writeFileSync(path.join(source, 'docs/index.md'), '# Hello\n');
    writeFileSync(path.join(source, 'docs/images/a.png'), 'png');
    mkdirSync(path.join(source, 'node_modules/big'), { recursive: true });
    writeFileSync(path.join(source, 'package.json'), '{}');

    const copy = await copyMkdocsSources(source);
    made.push(copy);
    expect(readdirSync(copy).sort()).toEqual(['docs', 'mkdocs.yml']);
    expect(readdirSync(path.join(copy, 'docs')).sort()).toEqual([
      'images',
      'index.md',
    ]);
  });

  it('follows a docs_dir of another name and refuses one outside the folder', async () => {
    writeFileSync(path.join(source, 'mkdocs.yaml'), 'docs_dir: reference\n');
    mkdirSync(path.join(source, 'reference'));
    writeFileSync(path.join(source, 'reference/index.md'), '# Hello\n');
    const copy = await copyMkdocsSources(source);
    made.push(copy);
    expect(readdirSync(copy).sort()).toEqual(['mkdocs.yaml', 'reference']);

    writeFileSync(path.join(source, 'mkdocs.yml'), 'docs_dir: ../elsewhere\n');
    await expect(copyMkdocsSources(source)).rejects.toThrow(
      /outside its parent/,
    );
  });

  it('answers the copy, with the etag of the preparer it wraps, and asks TechDocs to remove it', async () => {
    writeFileSync(path.join(source, 'mkdocs.yml'), 'site_name: x\n');
    const inner = {
      prepare: jest.fn(async () => ({ preparedDir: source, etag: '' })),
      shouldCleanPreparedDirectory: () => false,
    };
    const preparer = new CopyingDirectoryPreparer(inner);
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: { name: 's' },
    };
    const { preparedDir, etag } = await preparer.prepare(entity);
    made.push(preparedDir);
    expect(preparedDir).not.toBe(source);
    expect(readdirSync(preparedDir)).toEqual(['mkdocs.yml']);
    expect(etag).toBe('');
    expect(inner.prepare).toHaveBeenCalledWith(entity);
    expect(preparer.shouldCleanPreparedDirectory()).toBe(true);
    // the source is left as it was
    expect(readdirSync(source)).toEqual(['mkdocs.yml']);
  });
});
