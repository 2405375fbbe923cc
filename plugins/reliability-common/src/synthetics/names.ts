/** The names of journeys and regions (not exported from the package). */
export const NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
export const REGION = /^[a-z]{2,12}(-[a-z0-9]{1,16}){1,3}$/;
