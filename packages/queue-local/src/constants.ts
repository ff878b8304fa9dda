export const DRIVER_NAME = 'local'
