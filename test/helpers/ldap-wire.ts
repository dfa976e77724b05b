/**
 * The other side of the wire, for codec tests: decodes the requests Roster encodes and encodes the responses Roster
 * decodes, written from RFC 4511 §4 with the public BER primitives (BerReader/BerWriter), not with the code under test.
 */
import { BerReader, BerWriter, type Control } from '../../src/ldap/ber.js';
import type { FilterNode } from '../../src/rfc/filter.js';

export type DecodedRequest =
  | { type: 'bind'; version: number; dn: string; password: string }
  | { type: 'search'; base: string; scope: number; deref: number; sizeLimit: number; timeLimit: number; typesOnly: boolean; filter: FilterNode; attributes: string[] }
  | { type: 'extended'; oid: string; value?: Buffer }
  | { type: 'unbind' }
  | { type: 'abandon'; abandonId: number };

export function decodeRequest(bytes: Buffer): { messageId: number; request: DecodedRequest; controls: Control[] } {
  const top = new BerReader(bytes);
  const message = top.readSequence();
  top.expectEnd('request');
  const messageId = message.readInteger();
  const tag = message.peekTag();
  let request: DecodedRequest;
  if (tag === 0x60) {
    const op = message.readSequence(0x60);
    request = { type: 'bind', version: op.readInteger(), dn: op.readString(), password: op.readString(0x80) };
    op.expectEnd('bind');
  } else if (tag === 0x63) {
    request = decodeSearch(message.readSequence(0x63));
  } else if (tag === 0x77) {
    const op = message.readSequence(0x77);
    const oid = op.readString(0x80);
    request = op.peekTag() === 0x81 ? { type: 'extended', oid, value: Buffer.from(op.readOctetString(0x81)) } : { type: 'extended', oid };
    op.expectEnd('extended');
  } else if (tag === 0x42) {
    message.readNull(0x42);
    request = { type: 'unbind' };
  } else if (tag === 0x50) {
    request = { type: 'abandon', abandonId: message.readInteger(0x50) };
  } else {
    throw new Error(`unknown request tag ${tag}`);
  }
  return { messageId, request, controls: decodeControls(message) };
}

function decodeControls(message: BerReader): Control[] {
  const controls: Control[] = [];
  if (message.atEnd) return controls;
  const list = message.readSequence(0xa0);
  while (!list.atEnd) {
    const control = list.readSequence();
    const oid = control.readString();
    const critical = control.peekTag() === 0x01 ? control.readBoolean() : false;
    const value = control.peekTag() === 0x04 ? Buffer.from(control.readOctetString()) : undefined;
    controls.push(value ? { oid, critical, value } : { oid, critical });
  }
  message.expectEnd('message');
  return controls;
}

function decodeSearch(op: BerReader): DecodedRequest {
  const base = op.readString();
  const scope = op.readEnumerated();
  const deref = op.readEnumerated();
  const sizeLimit = op.readInteger();
  const timeLimit = op.readInteger();
  const typesOnly = op.readBoolean();
  const filter = decodeFilter(op);
  const list = op.readSequence();
  const attributes: string[] = [];
  while (!list.atEnd) attributes.push(list.readString());
  op.expectEnd('search');
  return { type: 'search', base, scope, deref, sizeLimit, timeLimit, typesOnly, filter, attributes };
}

const AVA: Record<number, 'equal' | 'greaterOrEqual' | 'lessOrEqual' | 'approx'> = { 0xa3: 'equal', 0xa5: 'greaterOrEqual', 0xa6: 'lessOrEqual', 0xa8: 'approx' };

/** RFC 4511 §4.5.1 Filter, back into the tree src/rfc/filter.ts parses. */
export function decodeFilter(reader: BerReader): FilterNode {
  const tag = reader.peekTag()!;
  if (tag === 0xa0 || tag === 0xa1) {
    const set = reader.readSequence(tag);
    const children: FilterNode[] = [];
    while (!set.atEnd) children.push(decodeFilter(set));
    return { type: tag === 0xa0 ? 'and' : 'or', children };
  }
  if (tag === 0xa2) return { type: 'not', child: decodeFilter(reader.readSequence(0xa2)) };
  if (AVA[tag]) {
    const ava = reader.readSequence(tag);
    return { type: AVA[tag]!, attribute: ava.readString(), value: ava.readString() };
  }
  if (tag === 0x87) return { type: 'present', attribute: reader.readString(0x87) };
  if (tag === 0xa4) {
    const substring = reader.readSequence(0xa4);
    const attribute = substring.readString();
    const pieces = substring.readSequence();
    const node: { type: 'substring'; attribute: string; initial?: string; any: string[]; final?: string } = { type: 'substring', attribute, any: [] };
    while (!pieces.atEnd) {
      const piece = pieces.readElement();
      if (piece.tag === 0x80) node.initial = piece.content.toString('utf8');
      else if (piece.tag === 0x81) node.any.push(piece.content.toString('utf8'));
      else node.final = piece.content.toString('utf8');
    }
    return node;
  }
  if (tag === 0xa9) {
    const rule = reader.readSequence(0xa9);
    const matchingRule = rule.peekTag() === 0x81 ? rule.readString(0x81) : undefined;
    const attribute = rule.peekTag() === 0x82 ? rule.readString(0x82) : undefined;
    const value = rule.readString(0x83);
    const dnAttributes = rule.peekTag() === 0x84 ? rule.readBoolean(0x84) : false;
    return { type: 'extensible', attribute, dnAttributes, rule: matchingRule, value };
  }
  throw new Error(`unknown filter tag 0x${tag.toString(16)}`);
}

export interface ResultFields {
  resultCode: number;
  matchedDN?: string;
  diagnosticMessage?: string;
  referrals?: string[];
}

function writeMessage(messageId: number, controls: readonly Control[] | undefined, writeOp: (writer: BerWriter) => void): Buffer {
  const writer = new BerWriter();
  writer.startSequence().writeInteger(messageId);
  writeOp(writer);
  if (controls && controls.length > 0) {
    writer.startSequence(0xa0);
    for (const control of controls) {
      writer.startSequence().writeOctetString(control.oid);
      if (control.critical) writer.writeBoolean(true);
      if (control.value) writer.writeOctetString(control.value);
      writer.end();
    }
    writer.end();
  }
  return writer.end().toBuffer();
}

function writeResult(writer: BerWriter, result: ResultFields): void {
  writer
    .writeEnumerated(result.resultCode)
    .writeOctetString(result.matchedDN ?? '')
    .writeOctetString(result.diagnosticMessage ?? '');
  if (result.referrals?.length) {
    writer.startSequence(0xa3);
    for (const uri of result.referrals) writer.writeOctetString(uri);
    writer.end();
  }
}

export type EncodableResponse =
  | { kind: 'bind'; result: ResultFields; serverSaslCreds?: Buffer }
  | { kind: 'searchDone'; result: ResultFields }
  | { kind: 'extended'; result: ResultFields; name?: string; value?: Buffer }
  | { kind: 'intermediate'; name?: string; value?: Buffer }
  | { kind: 'searchReference'; uris: string[] }
  | { kind: 'searchEntry'; dn: string; attributes: Array<[string, Array<string | Buffer>]> };

/** Encodes a response as a server would. */
export function encodeResponse(messageId: number, response: EncodableResponse, controls?: readonly Control[]): Buffer {
  return writeMessage(messageId, controls, (writer) => {
    switch (response.kind) {
      case 'bind':
        writer.startSequence(0x61);
        writeResult(writer, response.result);
        if (response.serverSaslCreds) writer.writeOctetString(response.serverSaslCreds, 0x87);
        writer.end();
        return;
      case 'searchDone':
        writer.startSequence(0x65);
        writeResult(writer, response.result);
        writer.end();
        return;
      case 'extended':
        writer.startSequence(0x78);
        writeResult(writer, response.result);
        if (response.name !== undefined) writer.writeOctetString(response.name, 0x8a);
        if (response.value) writer.writeOctetString(response.value, 0x8b);
        writer.end();
        return;
      case 'intermediate':
        writer.startSequence(0x79);
        if (response.name !== undefined) writer.writeOctetString(response.name, 0x80);
        if (response.value) writer.writeOctetString(response.value, 0x81);
        writer.end();
        return;
      case 'searchReference':
        writer.startSequence(0x73);
        for (const uri of response.uris) writer.writeOctetString(uri);
        writer.end();
        return;
      case 'searchEntry':
        writer.startSequence(0x64).writeOctetString(response.dn).startSequence();
        for (const [type, values] of response.attributes) {
          writer.startSequence().writeOctetString(type).startSet();
          for (const value of values) writer.writeOctetString(value);
          writer.end().end();
        }
        writer.end().end();
        return;
    }
  });
}
