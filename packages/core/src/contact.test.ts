import { describe, expect, it } from 'vitest';
import { emailDecision } from './contact.ts';
import { contractToSignMessage, portalInvitationMessage } from './messages.ts';

describe('whether Alcove may e-mail a client', () => {
  it('withholds with no address, or when the client marked e-mail unsafe', () => {
    expect(emailDecision({}, [])).toEqual({ ok: false, reason: 'no-address' });
    expect(
      emailDecision({ email: 'wren@example.test', contactChannels: [{ channel: 'email', safe: false }] }, []),
    ).toEqual({ ok: false, reason: 'channel-unsafe' });
  });

  it('sends to an address with no recorded preference, or one marked safe', () => {
    expect(emailDecision({ email: ' Wren@Example.test ' }, [])).toEqual({
      ok: true,
      address: 'Wren@Example.test',
    });
    expect(
      emailDecision({ email: 'wren@example.test', contactChannels: [{ channel: 'email', safe: true }] }, []),
    ).toMatchObject({ ok: true });
  });

  it('with a safety flag, withholds an address shared with a partner even when marked safe', () => {
    const wren = {
      email: 'home@example.test',
      contactChannels: [{ channel: 'email' as const, safe: true }],
      safetyFlag: true,
    };
    const ilex = { email: 'HOME@example.test' };
    expect(emailDecision(wren, [ilex])).toEqual({ ok: false, reason: 'safety-flag-shared' });
    // The partner who shares the inbox is not written to there either.
    expect(emailDecision(ilex, [wren])).toEqual({ ok: false, reason: 'safety-flag-shared' });
    // Without a flag a shared address is used: messages say nothing of either partner.
    expect(emailDecision({ email: 'home@example.test' }, [ilex])).toMatchObject({ ok: true });
  });

  it('with a safety flag, needs e-mail confirmed as safe', () => {
    expect(emailDecision({ email: 'wren@example.test', safetyFlag: true }, [])).toEqual({
      ok: false,
      reason: 'safety-flag-unconfirmed',
    });
  });
});

describe('the messages Alcove sends', () => {
  it('name only the recipient and the practice, and say nothing of what the document is about', () => {
    const invitation = portalInvitationMessage({
      recipientName: 'Wren',
      practiceName: 'Juniper Lane (fictional)',
      link: 'https://alcove.example.test/portal/join#token',
      expiresOn: '29 Nov 2026',
    });
    expect(invitation.text).toContain('Dear Wren,');
    expect(invitation.text).toContain('https://alcove.example.test/portal/join#token');
    const toSign = contractToSignMessage({
      recipientName: 'Wren',
      practiceName: 'Juniper Lane (fictional)',
      link: 'https://alcove.example.test/portal',
    });
    for (const m of [invitation, toSign]) {
      expect(`${m.subject} ${m.text}`).not.toMatch(/therap|couple|partner|sex|relationship|contract/i);
    }
  });
});
