import { createVerify, KeyObject, verify, X509Certificate } from 'crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  OCSPResponse,
  OCSPResponseStatus,
} from '@peculiar/asn1-ocsp';
import { Certificate } from '@peculiar/asn1-x509';

/** What a stapled OCSP response says about the server's certificate. */
export interface StapleStatus {
  /** good / revoked / unknown: the responder's word; absent: the staple could not be read or trusted. */
  certStatus?: 'good' | 'revoked' | 'unknown';
  /** Why the staple does not count (malformed, not successful, for another certificate, bad signature, stale). */
  problem?: string;
  thisUpdate?: string;
  nextUpdate?: string;
  revokedAt?: string;
}

/** Signature algorithms of OCSP responses: the digest node's verify takes (null: the key decides, Ed25519/Ed448). */
const DIGESTS: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
  '1.3.101.113': null,
};

const hex = (b: ArrayBuffer | Buffer) =>
  Buffer.from(b as ArrayBuffer)
    .toString('hex')
    .replace(/^(00)+/, '')
    .toUpperCase();

function signedBy(
  basic: BasicOCSPResponse,
  key: KeyObject,
): boolean | undefined {
  const oid = basic.signatureAlgorithm.algorithm;
  if (!(oid in DIGESTS) || !basic.tbsResponseDataRaw) return undefined;
  const data = Buffer.from(basic.tbsResponseDataRaw);
  const signature = Buffer.from(basic.signature);
  const digest = DIGESTS[oid];
  try {
    if (digest === null) return verify(null, data, key, signature);
    return createVerify(digest).update(data).verify(key, signature);
  } catch {
    return false;
  }
}

/**
 * Reads a stapled OCSP response (RFC 6960) with @peculiar/asn1-ocsp: its status must be successful and basic, its
 * single response must name the leaf's serial, it must be signed by the issuer or by a responder certificate the
 * issuer signed for OCSP signing, and it must be current (thisUpdate ≤ now ≤ nextUpdate, 5 minutes of skew).
 */
export function readStaple(
  staple: Buffer,
  leaf: { serialNumber: string },
  issuerDer: Buffer | undefined,
  now = Date.now(),
): StapleStatus {
  let response: OCSPResponse;
  try {
    response = AsnConvert.parse(staple, OCSPResponse);
  } catch {
    return { problem: 'the stapled OCSP response is malformed' };
  }
  if (response.responseStatus !== OCSPResponseStatus.successful)
    return {
      problem: `the stapled OCSP response is ${
        OCSPResponseStatus[response.responseStatus] ?? 'not successful'
      }`,
    };
  if (response.responseBytes?.responseType !== id_pkix_ocsp_basic)
    return { problem: 'the stapled OCSP response is not a basic response' };
  let basic: BasicOCSPResponse;
  try {
    basic = AsnConvert.parse(
      response.responseBytes.response.buffer,
      BasicOCSPResponse,
    );
  } catch {
    return { problem: 'the stapled OCSP response is malformed' };
  }
  const single = basic.tbsResponseData.responses.find(
    r =>
      hex(r.certID.serialNumber) === hex(Buffer.from(leaf.serialNumber, 'hex')),
  );
  if (!single)
    return { problem: 'the stapled OCSP response is for another certificate' };
  if (!issuerDer)
    return {
      problem: 'the issuer is unknown, so the staple cannot be checked',
    };
  const issuer = new X509Certificate(issuerDer);
  let trusted = signedBy(basic, issuer.publicKey);
  // a delegated responder: a certificate in the response, signed by the issuer, for OCSP signing
  for (const c of basic.certs ?? []) {
    if (trusted) break;
    const responder = new X509Certificate(
      Buffer.from(AsnConvert.serialize(c as Certificate)),
    );
    if (
      responder.verify(issuer.publicKey) &&
      (responder.keyUsage ?? []).includes(id_kp_OCSPSigning)
    )
      trusted = signedBy(basic, responder.publicKey);
  }
  if (trusted === undefined)
    return {
      problem: `the stapled OCSP response is signed with an algorithm this runner does not know (${basic.signatureAlgorithm.algorithm})`,
    };
  if (!trusted)
    return {
      problem:
        'the stapled OCSP response is not signed by the issuer or its OCSP responder',
    };
  const skew = 5 * 60_000;
  const thisUpdate = single.thisUpdate.toISOString();
  const nextUpdate = single.nextUpdate?.toISOString();
  const base = { thisUpdate, nextUpdate };
  if (single.thisUpdate.getTime() > now + skew)
    return {
      ...base,
      problem: `the staple is from the future (${thisUpdate})`,
    };
  if (single.nextUpdate && single.nextUpdate.getTime() < now - skew)
    return {
      ...base,
      problem: `the staple is stale (next update was ${nextUpdate})`,
    };
  const s = single.certStatus;
  if (s.revoked)
    return {
      ...base,
      certStatus: 'revoked',
      revokedAt: s.revoked.revocationTime.toISOString(),
    };
  if (s.good !== undefined) return { ...base, certStatus: 'good' };
  return { ...base, certStatus: 'unknown' };
}
