import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { encodeWav } from '../../src/dawg/audio/io/wav-encoder';
import { DEFAULT_POLICY_FILE } from '../../src/control-plane/firewall';
import { waitFor } from '../helpers/agent-system';
import { startAudioDawg, type AudioDawg } from '../helpers/audio-dawg';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { SERVICE_TOKEN } from '../helpers/servers';

/*
 * Publishing to the catalog with CATALOG_S3_BUCKET: the upload is `aws s3 cp` through the
 * terminal firewall, held for an admin's approval by the default policy. The AWS CLI is not on
 * this machine: a stand-in `aws` first on the policy's PATH copies the file into a directory
 * that plays the bucket, and records its arguments.
 */

jest.setTimeout(60_000);

let dawg: AudioDawg;
let plane: TestPlane;
let work: string;
let bucketDir: string;
let fileId: string;
let sha256: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jarvis-s3-'));
  bucketDir = path.join(work, 'bucket');
  const bin = path.join(work, 'bin');
  await mkdir(bin);
  await mkdir(bucketDir);
  await mkdir(path.join(work, 'data'));
  await writeFile(
    path.join(bin, 'aws'),
    [
      '#!/bin/sh',
      // aws s3 cp <local> s3://<bucket>/<key> --only-show-errors --content-type audio/wav
      `echo "$@" >> "${bucketDir}/calls.log"`,
      'key=$(echo "$4" | sed "s|^s3://||")',
      `mkdir -p "${bucketDir}/$(dirname "$key")" && cp "$3" "${bucketDir}/$key"`,
    ].join('\n'),
  );
  await chmod(path.join(bin, 'aws'), 0o755);
  const policy = JSON.parse(await readFile(DEFAULT_POLICY_FILE, 'utf8')) as { path: string[]; rules: Record<string, Record<string, unknown>> };
  policy.path = [bin, ...policy.path];
  // The catalog directory (the upload's working directory) must be one the aws rule allows.
  policy.rules.aws!.allowedDirectories = [path.join(work, 'data')];
  await writeFile(path.join(work, 'policy.json'), JSON.stringify(policy));

  dawg = await startAudioDawg({ workers: 1 });
  // One second of a 440 Hz tone at −20 dBFS, stereo 48 kHz 24-bit, stored (and measured) by the DAWG.
  const frames = 48_000;
  const tone = Float32Array.from({ length: frames }, (_, i) => 0.1 * Math.sin((2 * Math.PI * 440 * i) / 48_000));
  const wav = encodeWav({ sampleRate: 48_000, channels: [tone, tone] }, { bitDepth: 24, format: 'pcm' });
  sha256 = createHash('sha256').update(wav).digest('hex');
  const stored = await request(dawg.url).post('/api/v1/files').set('authorization', `Bearer ${SERVICE_TOKEN}`).set('content-type', 'audio/wav').set('x-file-name', 'tone.wav').send(wav).expect(201);
  fileId = stored.body.id;

  plane = await startTestPlane({
    kind: 'pglite',
    env: {
      AI_DAWG_BACKEND_URL: dawg.url,
      JARVIS_DATA_DIR: path.join(work, 'data'),
      TERMINAL_FIREWALL_POLICY_FILE: path.join(work, 'policy.json'),
      CATALOG_S3_BUCKET: 'jarvis-music-catalog',
      CATALOG_PUBLIC_BASE_URL: 'https://cdn.example.com',
      CATALOG_APPROVAL_WAIT_MS: '3000',
    },
  });
});

afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  await rm(work, { recursive: true, force: true });
});

const catalogDir = () => path.join(work, 'data', 'catalog');

async function pendingApproval(): Promise<string> {
  return waitFor(async () => (await plane.firewall!.listApprovals({ status: 'pending', limit: 10 }))[0]?.id, 10_000, 'the upload to wait for approval');
}

it('uploads through the firewall once an admin approves, and streams from the bucket\'s public URL', async () => {
  const publishing = plane.catalog.publish({ fileId, title: 'Tone Test' }, { taskId: 'tsk_s3_approved', actor: 'key_requester' });
  const approvalId = await pendingApproval();
  const approval = (await plane.firewall!.approvals.get(approvalId))!;
  expect([approval.command, ...approval.args]).toEqual(['aws', 's3', 'cp', expect.stringMatching(/^tone-test-\d{8}-[0-9a-f]{6}\.wav$/), expect.stringMatching(/^s3:\/\/jarvis-music-catalog\/tracks\/tone-test-/), '--only-show-errors', '--content-type', 'audio/wav']);
  expect(approval.requestedBy).toBe('key_requester');
  await plane.firewall!.decide(approvalId, 'approve', 'key_admin');

  const track = await publishing;
  expect(track.s3).toEqual({ uri: `s3://jarvis-music-catalog/tracks/${track.id}.wav`, approvalId });
  expect(track.streamUrl).toBe(`https://cdn.example.com/tracks/${track.id}.wav`);
  const uploaded = await readFile(path.join(bucketDir, 'jarvis-music-catalog', 'tracks', `${track.id}.wav`));
  expect(createHash('sha256').update(uploaded).digest('hex')).toBe(sha256);
  expect(track).toMatchObject({ sha256, format: 'WAV 24-bit 48kHz', durationSeconds: 1, title: 'Tone Test' });

  // The same task publishing again (a retry) gets its entry back: no second upload.
  await expect(plane.catalog.publish({ fileId, title: 'Tone Test' }, { taskId: 'tsk_s3_approved' })).resolves.toMatchObject({ id: track.id });
  expect((await readFile(path.join(bucketDir, 'calls.log'), 'utf8')).trim().split('\n')).toHaveLength(1);
  const { body } = await request(plane.app).get(`/catalog/tracks/${track.id}`).set('authorization', `Bearer ${plane.userKey}`).expect(200);
  expect(body.s3.uri).toBe(track.s3!.uri);
});

it('publishes nothing when the upload is denied, or when nobody decides in time', async () => {
  const before = await readdir(catalogDir());
  const denied = plane.catalog.publish({ fileId, title: 'Denied' }, { taskId: 'tsk_s3_denied', actor: 'key_requester' });
  await plane.firewall!.decide(await pendingApproval(), 'deny', 'key_admin', 'not this one');
  await expect(denied).rejects.toMatchObject({ status: 409, code: 'CATALOG_UPLOAD_NOT_APPROVED', details: { status: 'denied' } });

  // CATALOG_APPROVAL_WAIT_MS is 3 s here: the request is withdrawn and the publish fails.
  await expect(plane.catalog.publish({ fileId, title: 'Ignored' }, { taskId: 'tsk_s3_ignored', actor: 'key_requester' })).rejects.toMatchObject({ code: 'CATALOG_UPLOAD_NOT_APPROVED', message: expect.stringContaining('withdrawn') });
  expect(await plane.firewall!.listApprovals({ status: 'pending', limit: 10 })).toEqual([]);

  expect(await readdir(catalogDir())).toEqual(before);
  const rows = await plane.testDb.db.query<{ n: string }>(`SELECT count(*) AS n FROM catalog_tracks WHERE task_id IN ('tsk_s3_denied', 'tsk_s3_ignored')`);
  expect(Number(rows[0]!.n)).toBe(0);
});
