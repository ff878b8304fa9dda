export const DRIVER_NAME = 'memory'
