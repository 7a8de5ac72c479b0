import { z } from 'zod';

// zod compiles fast parsers with `new Function` where it may. The dashboard's CSP forbids eval, and
// even zod's try-and-see probe is reported as a violation; interpreted parsing is plenty here. A
// module of its own, imported first, so it is set before any schema is built or used.
z.config({ jitless: true });
