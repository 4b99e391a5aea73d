import { describe, expect, it } from 'vitest';
import { memoryHttpApp } from '../support/http-app.js';

const put = (body: unknown): RequestInit => ({
  method: 'PUT',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

describe('direct messages on PUT /msg and POST /msgs: every bad one is a 4xx with its code', () => {
  it.each([
    [{ from: 'b', to: 'bob@a', msg: 'x' }, 400, 'invalid_address'],
    [{ from: 'b', to: 'bob@a', msg: 'x', fromUser: 'alice@c' }, 400, 'invalid_address'],
    [{ to: 'bob@a', msg: 'x', fromUser: 'alice@b' }, 400, 'invalid_node_id'],
    [{ from: 'b', to: 'bad name@a', msg: 'x', fromUser: 'alice@b' }, 400, 'invalid_address'],
    [{ from: 'b', to: 'bob@a', msg: 'x', fromUser: 'alice@b' }, 404, 'unknown_user'],
    [{ from: 'b', to: 'bob@b', msg: 'x', fromUser: 'alice@b' }, 404, 'unknown_user'],
    [{ from: 'b', to: `bob@${'n'.repeat(200)}`, msg: 'x', fromUser: 'alice@b' }, 400, 'invalid_body'],
    [{ from: 'b', to: 'bob@a', msg: 'x', fromUser: 7 }, 400, 'invalid_body'],
  ])('PUT /msg %j is %i %s', async (body, status, code) => {
    const { app, a } = await memoryHttpApp();
    const response = await app.request('/msg', put(body));
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ error: { code } });
    expect(a.users.messages).toEqual([]);
  });

  it('names the missing field of a direct message: "from" or "fromUser"', async () => {
    const { app } = await memoryHttpApp();
    const noFrom = await app.request('/msg', put({ to: 'bob@a', msg: 'x' }));
    expect(noFrom.status).toBe(400);
    const refused = (await noFrom.json()) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe('invalid_node_id');
    expect(refused.error.message).toContain('"from"');
    const noSender = await app.request('/msg', put({ from: 'b', to: 'bob@a', msg: 'x' }));
    const unnamed = (await noSender.json()) as { error: { code: string; message: string } };
    expect(unnamed.error).toMatchObject({ code: 'invalid_address' });
    expect(unnamed.error.message).toContain('"fromUser"');
  });

  it('answers a batch with one result per direct message', async () => {
    const { app } = await memoryHttpApp();
    const response = await app.request('/msgs', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        messages: [
          { id: 'd1', from: 'b', to: 'bob@a', msg: 'x', fromUser: 'alice@b' },
          { id: 'n1', from: 'b', to: 'a', msg: 'node message' },
        ],
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      results: [
        { ok: false, httpStatus: 404, error: { code: 'unknown_user' } },
        { ok: true, status: 'delivered', id: 'n1' },
      ],
    });
  });
});
