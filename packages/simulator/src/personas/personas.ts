import type { Persona } from './script-types.ts';

interface Home {
  order: string;
  city: string;
  address: string;
  /** What their location is called when they send it, and where it is. */
  place: string;
  at: [latitude: number, longitude: number];
}

const persona = (wa_id: string, name: string, topics: string[], h: Home): Persona => ({
  wa_id,
  name,
  topics,
  details: { order: h.order, city: h.city, address: h.address },
  location: { place: h.place, address: h.address, latitude: h.at[0], longitude: h.at[1] },
});

/**
 * The sandbox's regular customers. A fixed, small cast: each has at most one conversation going at a
 * time, so a sandbox left running for days holds no more than this many. The first two open at start.
 */
export const PERSONAS: Persona[] = [
  persona('447700900101', 'Ana Silva', ['order', 'prices'], {
    order: 'A-1042',
    city: 'Leeds',
    address: '14 Elm Road, Leeds LS6 2AB',
    place: 'Home',
    at: [53.8198, -1.5783],
  }),
  persona('5511988880103', 'Beatriz Souza', ['complaint', 'lead'], {
    order: 'A-1057',
    city: 'São Paulo',
    address: 'Rua Augusta 1200, São Paulo',
    place: 'Work',
    at: [-23.5558, -46.6622],
  }),
  persona('919876500102', 'Rahul Mehta', ['delivery', 'order'], {
    order: 'A-1063',
    city: 'Pune',
    address: '22 MG Road, Pune 411001',
    place: 'Office',
    at: [18.5196, 73.8554],
  }),
  persona('14155550104', 'Tom Becker', ['prices', 'complaint'], {
    order: 'A-1071',
    city: 'California',
    address: '500 Castro St, Mountain View, CA',
    place: 'Home',
    at: [37.3894, -122.0819],
  }),
  persona('33612345105', 'Chloé Martin', ['lead', 'delivery'], {
    order: 'A-1088',
    city: 'Lyon',
    address: '8 rue de la République, Lyon',
    place: 'Apartment',
    at: [45.764, 4.8357],
  }),
  // A username customer: the business sees "@kenji.sato" and a BSUID, never his phone.
  {
    ...persona('818012340106', 'Kenji Sato', ['pickup', 'order'], {
      order: 'A-1095',
      city: 'Osaka',
      address: '3-1 Umeda, Kita-ku, Osaka',
      place: 'Outside the shop',
      at: [34.7025, 135.4959],
    }),
    username: 'kenji.sato',
  },
];
