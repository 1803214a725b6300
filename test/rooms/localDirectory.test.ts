// The in-process room directory passes the directory suite.
import { localDirectory } from '../../src/rooms/localDirectory.js';
import { describeDirectory } from './directoryConformance.js';

describeDirectory('in-process', () => {
  const dir = localDirectory();
  return Promise.resolve({ dir, other: dir, done: () => dir.close() });
});
