import { createMemoryRegistryStore } from '../../../src/schema/internal.js';
import { describeRegistryStore } from '../../storage-suite/registry-store-suite.js';

describeRegistryStore('memory', async () => createMemoryRegistryStore());
