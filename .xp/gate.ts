import { connectRedis } from '../src/common/kv';
import { authFailureGate } from '../src/control-plane/http/rate-limit.middleware';
import { silentLogger } from '../tests/helpers/logger';
(async () => {
  const redis = await connectRedis({ url: 'redis://127.0.0.1:6379', connectTimeoutMs: 2000, logger: silentLogger() });
  const gate = authFailureGate({ limits: { windowMs: 60000, authFailures: 3 } as never, redis, keyPrefix: 'xp:' });
  const t = setTimeout(() => console.log('hung'), 3000);
  console.log(await gate.retryAfterSeconds('1.2.3.4'));
  await gate.failed('1.2.3.4');
  console.log(await gate.retryAfterSeconds('1.2.3.4'));
  clearTimeout(t);
  await redis.quit();
})().catch((e) => console.error('ERR', e));
