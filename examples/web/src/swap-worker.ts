// The swapper lives here, off the main thread, so the page stays responsive.
import { exposeSwapper } from '@fslsd/web';

exposeSwapper(self as unknown as Parameters<typeof exposeSwapper>[0]);
