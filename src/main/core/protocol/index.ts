export * from './constants';
export * from './utf8';
export * from './deflate';
export * from './decoder';
export * from './encoder';
export * from './records';
export * from './permessage-deflate-params';
