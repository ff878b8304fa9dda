export const DRIVER_NAME = 'redis'
