import { execFileSync } from 'child_process';
import {
  createHash,
  createSign,
  generateKeyPairSync,
  X509Certificate,
} from 'crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import tls from 'tls';
import { AddressInfo } from 'net';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  id_pkix_ocsp_basic,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
} from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { syntheticJourneySchema } from '@reliability-suite/plugin-reliability-common';
import { SyntheticRunner } from './SyntheticRunner';
import { readStaple } from './ocsp';

jest.setTimeout(30_000);

/** A private CA and a leaf it signed (openssl), for a local TLS server that staples what each test builds. */
function makePki() {
  const dir = mkdtempSync(join(tmpdir(), 'synthetic-ocsp-'));
  const run = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  try {
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '30',
      '-subj',
      '/CN=Test CA',
    ]);
    run([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.csr',
      '-subj',
      '/CN=localhost',
    ]);
    writeFileSync(
      join(dir, 'ext'),
      'subjectAltName=DNS:localhost,IP:127.0.0.1\n',
    );
    run([
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'leaf.pem',
      '-days',
      '30',
      '-extfile',
      'ext',
    ]);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return {
      caKey: read('ca.key'),
      ca: read('ca.pem'),
      leafKey: read('leaf.key'),
      leaf: read('leaf.pem'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SHA256_RSA = '1.2.840.113549.1.1.11';
const SHA1 = '1.3.14.3.2.26';

/** An OCSP response (RFC 6960) for the leaf, built with the same library the runner reads it with. */
function ocspResponse(
  pki: ReturnType<typeof makePki>,
  o: {
    status?: 'good' | 'revoked' | 'unknown';
    nextUpdate?: Date;
    signKey?: string;
    serial?: string;
  } = {},
): Buffer {
  const ca = new X509Certificate(pki.ca);
  const leaf = new X509Certificate(pki.leaf);
  const caCert = AsnConvert.parse(ca.raw, Certificate);
  const spki = caCert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey;
  let serial = Buffer.from(o.serial ?? leaf.serialNumber, 'hex');
  if (serial[0] & 0x80) serial = Buffer.concat([Buffer.from([0]), serial]);
  const statuses = {
    good: () => new CertStatus({ good: null }),
    unknown: () => new CertStatus({ unknown: null }),
    revoked: () =>
      new CertStatus({
        revoked: new RevokedInfo({
          revocationTime: new Date('2026-01-02T03:04:05Z'),
        }),
      }),
  };
  const certStatus = statuses[o.status ?? 'good']();
  const tbs = new ResponseData({
    responderID: new ResponderID({
      byKey: new OctetString(
        createHash('sha1').update(Buffer.from(spki)).digest(),
      ),
    }),
    producedAt: new Date(),
    responses: [
      new SingleResponse({
        certID: new CertID({
          hashAlgorithm: new AlgorithmIdentifier({
            algorithm: SHA1,
            parameters: null,
          }),
          issuerNameHash: new OctetString(
            createHash('sha1')
              .update(
                Buffer.from(
                  AsnConvert.serialize(caCert.tbsCertificate.subject),
                ),
              )
              .digest(),
          ),
          issuerKeyHash: new OctetString(
            createHash('sha1').update(Buffer.from(spki)).digest(),
          ),
          serialNumber: new Uint8Array(serial).buffer,
        }),
        certStatus,
        thisUpdate: new Date(Date.now() - 60_000),
        nextUpdate: o.nextUpdate ?? new Date(Date.now() + 86_400_000),
      }),
    ],
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = createSign('sha256')
    .update(tbsDer)
    .sign(o.signKey ?? pki.caKey);
  const basic = new BasicOCSPResponse({
    tbsResponseData: tbs,
    signatureAlgorithm: new AlgorithmIdentifier({
      algorithm: SHA256_RSA,
      parameters: null,
    }),
    signature: new Uint8Array(signature).buffer,
  });
  return Buffer.from(
    AsnConvert.serialize(
      new OCSPResponse({
        responseStatus: OCSPResponseStatus.successful,
        responseBytes: new ResponseBytes({
          responseType: id_pkix_ocsp_basic,
          response: new OctetString(AsnConvert.serialize(basic)),
        }),
      }),
    ),
  );
}

describe('TLS step: OCSP stapling', () => {
  const pki = makePki();
  let staple: Buffer | undefined;
  let server: tls.Server;
  let port: number;
  const runner = new SyntheticRunner({ allowedHosts: ['localhost'] });
  const run = (ocsp: string) =>
    runner.run(
      syntheticJourneySchema.parse({
        name: 'tls',
        regions: ['ap-sg'],
        frequency: '5m',
        deadlineMs: 5_000,
        steps: [
          {
            type: 'tls',
            name: 'Cert',
            host: 'localhost',
            port,
            allowUntrusted: true,
            ocsp,
          },
        ],
      }),
    );

  beforeAll(async () => {
    server = tls.createServer({ key: pki.leafKey, cert: pki.leaf + pki.ca });
    server.on('OCSPRequest', (_cert, _issuer, cb) =>
      cb(null, staple as Buffer),
    );
    server.on('secureConnection', s => s.end());
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>(r => server.close(() => r())));

  it('a good, current staple signed by the issuer passes and is reported', async () => {
    staple = ocspResponse(pki);
    const r = await run('require');
    expect(r.error).toBeNull();
    expect(r.steps[0].excerpt).toMatch(
      /; chain of 2, not trusted \(.*\); OCSP staple good until \d{4}-\d\d-\d\dT/,
    );
  });

  it('a revoked staple fails in report mode too', async () => {
    staple = ocspResponse(pki, { status: 'revoked' });
    const r = await run('report');
    expect(r.error).toBe(
      "step 'Cert': the certificate is revoked (OCSP staple, revoked at 2026-01-02T03:04:05.000Z)",
    );
  });

  it('require fails without a staple, on a forged or stale one, and on unknown; report only reports', async () => {
    staple = undefined;
    expect((await run('require')).error).toBe(
      "step 'Cert': OCSP stapling is required: the server stapled no response",
    );
    const reported = await run('report');
    expect(reported.success).toBe(true);
    expect(reported.steps[0].excerpt).toMatch(/; no OCSP staple$/);

    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    staple = ocspResponse(pki, {
      signKey: other.privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }) as string,
    });
    expect((await run('require')).error).toBe(
      "step 'Cert': OCSP stapling is required: the stapled OCSP response is not signed by the issuer or its OCSP responder",
    );
    staple = ocspResponse(pki, {
      nextUpdate: new Date(Date.now() - 3_600_000),
    });
    expect((await run('require')).error).toMatch(
      /^step 'Cert': OCSP stapling is required: the staple is stale \(next update was .*\)$/,
    );
    staple = ocspResponse(pki, { status: 'unknown' });
    expect((await run('require')).error).toBe(
      "step 'Cert': OCSP stapling is required: the staple says unknown",
    );
    staple = ocspResponse(pki, { serial: '0badc0de' });
    expect((await run('require')).error).toBe(
      "step 'Cert': OCSP stapling is required: the stapled OCSP response is for another certificate",
    );
  });

  it('off does not ask for a staple', async () => {
    staple = ocspResponse(pki, { status: 'revoked' });
    const r = await run('off');
    expect(r.success).toBe(true);
    expect(r.steps[0].excerpt).not.toMatch(/OCSP/);
  });

  it('readStaple: malformed bytes and unsuccessful responses say so', () => {
    const leaf = new X509Certificate(pki.leaf);
    const issuer = new X509Certificate(pki.ca).raw;
    expect(readStaple(Buffer.from('nonsense'), leaf, issuer)).toEqual({
      problem: 'the stapled OCSP response is malformed',
    });
    const tryLater = Buffer.from(
      AsnConvert.serialize(
        new OCSPResponse({ responseStatus: OCSPResponseStatus.tryLater }),
      ),
    );
    expect(readStaple(tryLater, leaf, issuer)).toEqual({
      problem: 'the stapled OCSP response is tryLater',
    });
  });
});
