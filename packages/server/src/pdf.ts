import { formatDate } from '@alcove/core';
import { type CaseFacts, type ContractView, readableContract } from '@alcove/store';
import type { FastifyReply } from 'fastify';
import PDFDocument from 'pdfkit';

/**
 * A contract as a PDF: the exact text signed, its version and SHA-256, the organisation's
 * conditions where there are any, and each signature (who, when, how). Made with pdfkit's
 * standard fonts; nothing is written to disk.
 */
export interface ContractPdfInput {
  readonly practiceName: string;
  readonly title: string;
  readonly version: number;
  readonly createdAt: string;
  readonly text: string;
  readonly textHash: string;
  readonly conditions: string | null;
  readonly signatures: readonly { who: string; signedAt: string; mode: string; acknowledged: boolean }[];
  readonly unsigned: readonly string[];
}

/**
 * Who has signed and who has not, by name for the practitioner's copy, or with `nameOf`
 * giving only labels ("Partner B") where the reader may not see the others' names.
 */
function signatureLines(
  contract: ContractView,
  facts: CaseFacts,
  nameOf: (clientId: string, label: string) => string,
  practitionerName: string,
): Pick<ContractPdfInput, 'signatures' | 'unsigned'> {
  const parties = [
    { kind: 'practitioner', id: facts.practitionerId, who: `${practitionerName} (practitioner)` },
    ...facts.participants.map((p) => ({ kind: 'client', id: p.clientId, who: nameOf(p.clientId, p.label) })),
  ];
  const signatures: ContractPdfInput['signatures'][number][] = [];
  const unsigned: string[] = [];
  for (const party of parties) {
    const s = contract.signatures.find((x) => x.signerKind === party.kind && x.signerId === party.id);
    if (s === undefined) unsigned.push(party.who);
    else
      signatures.push({
        who: party.who,
        signedAt: s.signedAt,
        mode: s.mode,
        acknowledged: s.acknowledgedConditions,
      });
  }
  return { signatures, unsigned };
}

const modeWords: Record<string, string> = { 'in-person': 'in person', portal: 'in the client portal' };

/**
 * The current contract of a case as a PDF. `nameOf` says how each client is named: by
 * name in the practitioner's copy, by their place in the case ("Partner B") in a client's.
 */
export function contractPdf(input: {
  practiceName: string;
  practitionerName: string;
  contract: ContractView;
  facts: CaseFacts;
  nameOf: (clientId: string, label: string) => string;
}): Promise<Buffer> {
  // Never a PDF of a text that failed its integrity check (TamperedError: integrity-failed).
  const contract = readableContract(input.contract);
  return renderContractPdf({
    practiceName: input.practiceName,
    title: 'Therapy contract',
    version: contract.version,
    createdAt: contract.createdAt,
    text: contract.text.reveal(),
    textHash: contract.textHash,
    conditions: contract.conditions?.reveal() ?? null,
    ...signatureLines(contract, input.facts, input.nameOf, input.practitionerName),
  });
}

/** Sends a PDF as a download. */
export function sendPdf(reply: FastifyReply, pdf: Buffer, filename: string): FastifyReply {
  return reply
    .header('content-type', 'application/pdf')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(pdf);
}

function renderContractPdf(input: ContractPdfInput): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 56,
      info: { Title: input.title, Author: input.practiceName, Creator: 'Alcove' },
      lang: 'en-GB',
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);

    doc.font('Helvetica-Bold').fontSize(16).text(input.title);
    doc
      .font('Helvetica')
      .fontSize(9)
      .fillColor('#444444')
      .text(`${input.practiceName} · version ${input.version} of ${formatDate(input.createdAt)}`);
    doc.moveDown();
    doc.fillColor('#000000').fontSize(11).text(input.text, { paragraphGap: 4 });
    if (input.conditions !== null) {
      doc.moveDown();
      doc.font('Helvetica-Bold').fontSize(12).text('The organisation’s conditions');
      doc.font('Helvetica').fontSize(11).text(input.conditions, { paragraphGap: 4 });
    }
    doc.moveDown();
    doc.font('Helvetica-Bold').fontSize(12).text('Signatures');
    doc.font('Helvetica').fontSize(11);
    for (const s of input.signatures) {
      const conditions = s.acknowledged ? ', having acknowledged the organisation’s conditions' : '';
      doc.text(`${s.who}: signed ${modeWords[s.mode] ?? s.mode} on ${formatDate(s.signedAt)}${conditions}.`);
    }
    for (const who of input.unsigned) doc.text(`${who}: not yet signed.`);
    doc.moveDown();
    doc.fontSize(8).fillColor('#444444').text(`SHA-256 of the text signed: ${input.textHash}`);
    doc.end();
  });
}

/** A letter as a PDF: its text as written, nothing added. */
export function letterPdf(input: { title: string; author: string; text: string }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 64,
      info: { Title: input.title, Author: input.author, Creator: 'Alcove' },
      lang: 'en-GB',
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.font('Helvetica').fontSize(11).text(input.text, { paragraphGap: 4 });
    doc.end();
  });
}

export interface ReleasePdfInput {
  readonly practiceName: string;
  readonly title: string;
  readonly subtitle: string;
  readonly sections: readonly { heading: string; items: readonly { label?: string; text: string }[] }[];
  readonly withheld: readonly { what: string; clause: string; reason: string }[];
}

/** A release for people: headed, paginated, with what was withheld and why at the end. */
export function releasePdf(input: ReleasePdfInput): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margins: { top: 64, bottom: 64, left: 56, right: 56 },
      bufferPages: true,
      info: { Title: input.title, Author: input.practiceName, Creator: 'Alcove' },
      lang: 'en-GB',
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);

    // A heading or a label is not left alone at the foot of a page: it starts the next page
    // when fewer than `lines` lines of the current size fit below it.
    const keepWithNext = (lines: number) => {
      if (doc.y + lines * doc.currentLineHeight(true) > doc.page.height - doc.page.margins.bottom)
        doc.addPage();
    };
    doc.font('Helvetica-Bold').fontSize(16).text(input.title);
    doc.font('Helvetica').fontSize(10).fillColor('#444444').text(input.subtitle);
    doc.fillColor('#000000');
    for (const section of input.sections) {
      doc.moveDown();
      doc.font('Helvetica-Bold').fontSize(12);
      keepWithNext(4);
      doc.text(section.heading);
      doc.font('Helvetica').fontSize(10.5);
      if (section.items.length === 0)
        doc.fillColor('#444444').text('Nothing to release.').fillColor('#000000');
      for (const item of section.items) {
        if (item.label !== undefined) {
          keepWithNext(3);
          doc.font('Helvetica-Bold').text(item.label).font('Helvetica');
        }
        doc.text(item.text, { paragraphGap: 3 });
      }
    }
    doc.moveDown();
    doc.font('Helvetica-Bold').fontSize(12);
    keepWithNext(4);
    doc.text('What was withheld, and why');
    doc.font('Helvetica').fontSize(10.5);
    if (input.withheld.length === 0) doc.text('Nothing was withheld.');
    for (const w of input.withheld) doc.text(`${w.what}: ${w.reason} (${w.clause}).`, { paragraphGap: 2 });

    // The footer sits in the bottom margin. pdfkit starts a new page for text written below
    // the margin, so the margin is lifted while the footer is written (otherwise every
    // release ended with a blank page holding only the last footer), and put back after.
    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i += 1) {
      doc.switchToPage(i);
      const bottom = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      doc
        .font('Helvetica')
        .fontSize(8)
        .fillColor('#444444')
        .text(
          `${input.practiceName} · ${input.title} · page ${i + 1} of ${range.count}`,
          56,
          doc.page.height - 44,
          {
            width: doc.page.width - 112,
            align: 'center',
            lineBreak: false,
          },
        );
      doc.page.margins.bottom = bottom;
    }
    doc.end();
  });
}
