import { attachmentName } from './ReliabilityApi';

describe('attachmentName', () => {
  it('reads the file name of a Content-Disposition header', () => {
    expect(attachmentName('attachment; filename="x.istio.yaml"')).toBe(
      'x.istio.yaml',
    );
  });

  it('gives nothing for a missing, nameless, pathed or oversized header', () => {
    expect(attachmentName(null)).toBeUndefined();
    expect(attachmentName('attachment')).toBeUndefined();
    expect(
      attachmentName('attachment; filename="../etc/passwd"'),
    ).toBeUndefined();
    expect(attachmentName('attachment; filename="a\\\\b"')).toBeUndefined();
    expect(
      attachmentName(`attachment; filename="${'a'.repeat(2_000)}"`),
    ).toBeUndefined();
  });
});
