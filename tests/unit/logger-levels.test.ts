import { childWithLevel } from '../../src/common/logger';
import { capturingLogger } from '../helpers/logger';

describe('childWithLevel', () => {
  test('drops entries below its level, keeps the rest with its metadata, and leaves the parent alone', () => {
    const { logger, lines } = capturingLogger();
    const firewall = childWithLevel(logger, { component: 'terminal-firewall' }, 'warn');
    firewall.info('command finished', { command: 'df' });
    firewall.debug('noise');
    firewall.warn('command denied', { command: 'rm' });
    firewall.error('approved command failed to run');
    logger.info('parent still logs info');
    expect(lines().map((l) => [l.level, l.message, l.component ?? null])).toEqual([
      ['warn', 'command denied', 'terminal-firewall'],
      ['error', 'approved command failed to run', 'terminal-firewall'],
      ['info', 'parent still logs info', null],
    ]);
  });

  test('cannot log below the parent\'s level', () => {
    const { logger, lines } = capturingLogger();
    logger.level = 'warn';
    childWithLevel(logger, {}, 'debug').info('dropped by the parent');
    expect(lines()).toEqual([]);
  });
});
