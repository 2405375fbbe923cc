export { createDeliveryFeature } from './feature';
export type { DeliveryFeature } from './feature';
export { DeliveryStore } from './DeliveryStore';
export type { DeliveryOutbox } from './DeliveryStore';
