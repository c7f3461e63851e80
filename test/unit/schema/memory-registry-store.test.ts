import { createMemoryRegistryStore } from '../../../src/schema/index.js';
import { describeRegistryStore } from '../../storage-suite/registry-store-suite.js';

describeRegistryStore('memory', async () => createMemoryRegistryStore());
